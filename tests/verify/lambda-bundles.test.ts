import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { REPO_ROOT, TASK_BUNDLE } from '../../cdk/constructs/task-function';
import { TASK_NAMES, type TaskName } from '../../src/workflow/registry';

/**
 * Each task Lambda is bundled from its own tasks/<task>/lambda.ts with CDK's esbuild settings
 * (cdk/constructs/task-function.ts): the bundle must hold that task's handler and no other task's, and
 * no local-runtime code (DuckDB, the folder store, the ASL interpreter).
 */
function bundle(task: TaskName): { inputs: string[]; bytes: number } {
  const result = buildSync({
    entryPoints: [join(REPO_ROOT, 'tasks', task, 'lambda.ts')],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'cjs',
    target: TASK_BUNDLE.target,
    minify: TASK_BUNDLE.minify,
    external: [...TASK_BUNDLE.externalModules],
    tsconfig: join(REPO_ROOT, 'tsconfig.json'),
    logLevel: 'silent',
  });
  return { inputs: Object.keys(result.metafile.inputs), bytes: result.outputFiles[0]?.contents.length ?? 0 };
}

const HANDLER = /^tasks\/([^/]+)\/handler\.ts$/;

describe.each(TASK_NAMES)('the %s bundle', (task) => {
  const { inputs, bytes } = bundle(task);

  test('holds its own handler and no other task handler', () => {
    const handlers = inputs.flatMap((path) => HANDLER.exec(path)?.slice(1, 2) ?? []);
    expect(handlers).toEqual([task]);
    expect(inputs).not.toContain('tasks/index.ts');
  });

  test('holds no local-runtime code', () => {
    const local = inputs.filter((path) => /^(src\/adapters\/local\/|src\/runtime\/local-|node_modules\/(@duckdb|aws-local-stepfunctions)\/)/.test(path));
    expect(local).toEqual([]);
  });

  test('stays small (one task over the AWS adapters, AWS SDK external)', () => {
    expect(bytes).toBeGreaterThan(10_000);
    // The largest, validate-slice, is ~124 KB with the staged-row Parquet writer and reader (src/parquet) and
    // the replay source; Lambda allows 250 MB unzipped, this bound only catches a bundle that drags in far more.
    expect(bytes).toBeLessThan(150_000);
  });
});
