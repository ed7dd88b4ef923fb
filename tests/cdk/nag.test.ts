import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { MIN_REASON_LENGTH } from '../../cdk/nag';
import { REPO_ROOT, synthStage, type SynthesizedStage } from './app-fixture';

interface Acknowledgement {
  readonly id: string;
  readonly path: string;
  readonly reason: string;
}

const ALLOWLIST = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'cdk', 'nag-allowlist.json'), 'utf8')) as {
    acknowledgements: Acknowledgement[];
  }
).acknowledgements;

/** Every acknowledgement recorded on a construct of the stage's app, path relative to its stack. */
function applied(stage: SynthesizedStage): Acknowledgement[] {
  const found: Acknowledgement[] = [];
  for (const construct of stage.app.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        // aws-cdk-lib records rule ids without a known prefix as `Annotation::<id>`.
        found.push({
          id: id.replace(/^annotation::/i, ''),
          path: construct.node.path.slice(stage.stack.stackName.length + 1),
          reason,
        });
      }
    }
  }
  return found;
}

const key = (a: Acknowledgement): string => `${a.path} ${a.id}`;
const sorted = (list: readonly Acknowledgement[]): Acknowledgement[] =>
  [...list].sort((a, b) => key(a).localeCompare(key(b)));

describe.each(['dev', 'prod'] as const)('cdk-nag AwsSolutions (%s)', (stageName) => {
  let stage: SynthesizedStage;

  beforeAll(() => {
    stage = synthStage(stageName);
  });

  test('the whole app has no unacknowledged violation', () => {
    const report = new AwsSolutionsChecks().validateScope(stage.app);
    expect(
      report.violations.map((v) => ({
        rule: v.ruleName,
        at: v.violatingResources.map((r) => r.constructPath),
      })),
    ).toEqual([]);
    expect(report.success).toBe(true);
  });

  test(`every acknowledgement has a reason of at least ${MIN_REASON_LENGTH} characters`, () => {
    const acks = applied(stage);
    expect(acks.length).toBeGreaterThan(0);
    expect(acks.filter((a) => a.reason.trim().length < MIN_REASON_LENGTH)).toEqual([]);
  });

  test('every acknowledgement applied is in cdk/nag-allowlist.json (id, path, reason)', () => {
    const listed = new Set(ALLOWLIST.map((a) => JSON.stringify([a.path, a.id, a.reason])));
    expect(applied(stage).filter((a) => !listed.has(JSON.stringify([a.path, a.id, a.reason])))).toEqual([]);
  });

  test('every entry of cdk/nag-allowlist.json is applied', () => {
    const used = new Set(applied(stage).map((a) => JSON.stringify([a.path, a.id, a.reason])));
    expect(ALLOWLIST.filter((a) => !used.has(JSON.stringify([a.path, a.id, a.reason])))).toEqual([]);
  });

  test('every acknowledgement silences a finding cdk-nag really reports there', () => {
    // The same checks with acknowledgements ignored (isAcknowledged is cdk-nag's private lookup).
    const unacknowledged = new AwsSolutionsChecks();
    Object.defineProperty(unacknowledged, 'isAcknowledged', { value: () => false });
    const findings = unacknowledged
      .validateScope(stage.app)
      .violations.flatMap((v) =>
        v.violatingResources.map((r) => ({ id: v.ruleName, at: r.constructPath ?? '' })),
      );
    const stackPath = `${stage.stack.stackName}/`;
    const idle = applied(stage).filter(
      (a) =>
        !findings.some(
          (f) => f.id === a.id && (f.at === stackPath + a.path || f.at.startsWith(`${stackPath}${a.path}/`)),
        ),
    );
    expect(idle).toEqual([]);
  });

  test('nothing is acknowledged twice', () => {
    expect(sorted(applied(stage)).map(key)).toEqual([...new Set(sorted(applied(stage)).map(key))]);
  });

  test('nothing is acknowledged on the app, the stack or a whole concern construct', () => {
    expect(applied(stage).filter((a) => a.path === '' || !a.path.includes('/'))).toEqual([]);
  });
});

test('the allowlist entries all have a reason of at least the minimum length', () => {
  expect(ALLOWLIST.filter((a) => a.reason.trim().length < MIN_REASON_LENGTH)).toEqual([]);
});
