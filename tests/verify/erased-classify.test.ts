import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bindLiterals, athenaLiteral } from '../../src/adapters/aws/athena-sql-text';
import { FileStateStore } from '../../src/adapters/local/file-state-store';
import { lakeSalt, NO_COUNTS, userHash, writeErasure } from '../../src/pipeline/erasure-log';
import type { PipelineDeps } from '../../src/pipeline/deps';
import { fixedClock } from '../../src/ports/clock';
import { renderSql } from '../../src/sql/render';
import { athenaIdentifiers } from '../../src/workflow/athena-tables';
import { FakeAccount } from '../../verify/aws/fake-account';
import { lambdaFunctions, resolverFor, synthesizeForVerify } from '../../verify/template';
import { accountEvent, lessonEvent, rawKey, T0, userUuid } from '../helpers/lake';
import { stageBatch } from '../helpers/stages';

/**
 * The Athena ClassifyBatch statement (sql/athena/classify_batch.sql), sent to the Athena fake of the offline
 * AWS proof over the synthesized template's catalog: a forgotten user's staged rows are classed `erased`,
 * the salt and the records read through the template's Glue tables `erasure_salt` and `erased_users`.
 */
describe('Athena classify_batch suppresses forgotten users (offline AWS proof twin)', () => {
  jest.setTimeout(240_000);
  let account: FakeAccount;
  let stateDir: string;

  beforeAll(async () => {
    const synth = synthesizeForVerify('dev');
    const env = { stackName: synth.stackName };
    const [first] = lambdaFunctions(synth.template, env);
    if (first === undefined) throw new Error('no task functions');
    account = await FakeAccount.open(resolverFor(synth.template, env), first.environment);
    stateDir = await mkdtemp(join(tmpdir(), 'eventlake-erased-state-'));
  });

  afterAll(async () => {
    await account?.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  it("classes every row of an erased user 'erased' and leaves the others as they were", async () => {
    const deps: PipelineDeps = { ...account.twin.deps, state: await FileStateStore.open(stateDir), clock: fixedClock('2024-04-07T13:00:00Z') };
    const lines = [
      accountEvent('gone', T0),
      lessonEvent('gone', 'es', T0 + 60),
      lessonEvent('gone', 'es', T0 + 120),
      accountEvent('kept', T0),
      lessonEvent('kept', 'es', T0 + 60),
    ];
    await deps.objects.put(rawKey(11, 'a'), gzipSync(`${lines.map((l) => JSON.stringify(l)).join('\n')}\n`));
    const salt = await lakeSalt(deps.objects);
    await writeErasure(deps.objects, { user_hash: userHash(salt, userUuid('gone')), requested_at: '2024-04-07T12:00:00.000Z', completed_at: null, removed: NO_COUNTS });
    const { plan, totals } = await stageBatch(deps);

    const database = account.env.glueDatabase;
    const sql = renderSql('athena', 'classify_batch', pick(athenaIdentifiers(database), ['staged_source', 'curated_source', 'erased_users_source', 'erasure_salt_source', 'classified_target']));
    const values = [plan.batch_id, totals.horizon_from, totals.horizon_to, plan.batch_id, plan.max_partitions_per_merge, plan.batch_id, plan.planned_at];
    const text = bindLiterals(sql.text, values.map(athenaLiteral));
    // The salt is read by the statement, never written into it.
    expect(text).not.toContain(salt);
    await account.athena.startQueryExecutionSync({
      QueryString: text,
      ClientRequestToken: randomUUID(),
      QueryExecutionContext: { Database: database },
      WorkGroup: account.env.athenaWorkGroup,
    });

    const rows = await deps.sql.query<{ user_uuid: string; class: string; n: number }>({
      name: 'test/classes',
      text: `SELECT user_uuid, class, CAST(count(*) AS INTEGER) AS n FROM ${deps.sources.classifiedSource(plan.batch_id)} GROUP BY ALL ORDER BY user_uuid, class`,
    });
    expect(rows).toEqual([
      { user_uuid: userUuid('gone'), class: 'erased', n: 3 },
      { user_uuid: userUuid('kept'), class: 'insert', n: 2 },
    ].sort((a, b) => a.user_uuid.localeCompare(b.user_uuid)));
  });
});

function pick(all: Readonly<Record<string, string>>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [name, all[name] as string]));
}
