import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEventLakeApp } from './eventlake-app';

/**
 * `npx cdk synth` runs this file (cdk.json: `npx tsx cdk/app.ts`) and passes cdk.json's context and any
 * `-c key=value` itself. Run directly (`npx tsx cdk/app.ts [-c stage=prod]`) it reads the same cdk.json
 * context and `-c` pairs and writes the cloud assembly to ./cdk.out, so both paths build the same app.
 */
function cliContext(argv: readonly string[]): Record<string, string> {
  const context: Record<string, string> = {};
  argv.forEach((arg, i) => {
    const pair = arg === '-c' || arg === '--context' ? argv[i + 1] : undefined;
    const eq = pair?.indexOf('=') ?? -1;
    if (pair !== undefined && eq > 0) context[pair.slice(0, eq)] = pair.slice(eq + 1);
  });
  return context;
}

const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8')) as {
  context?: Record<string, unknown>;
};
const runByCli = process.env.CDK_OUTDIR !== undefined;

createEventLakeApp({
  context: cdkJson.context ?? {},
  postCliContext: runByCli ? {} : cliContext(process.argv.slice(2)),
  ...(runByCli ? {} : { outdir: join(__dirname, '..', 'cdk.out') }),
}).app.synth();
