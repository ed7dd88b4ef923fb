import { decodePrestoView, encodePrestoView } from '../../cdk/constructs/athena-views';
import { verifyAws, type VerifyAwsReport } from '../../verify/aws/verify-aws';
import { savedQueries } from '../../src/sql/saved-queries';

/** Rewrites the SQL of the Glue view `name` in the synthesized template. */
function rewriteView(name: string, rewrite: (sql: string) => string) {
  return (template: Record<string, unknown>) => {
    const resources = template.Resources as Record<string, { Type: string; Properties: { TableInput?: { Name?: string; ViewOriginalText?: string } } }>;
    const view = Object.values(resources).find((r) => r.Type === 'AWS::Glue::Table' && r.Properties.TableInput?.Name === name);
    const input = view?.Properties.TableInput;
    if (input?.ViewOriginalText === undefined) throw new Error(`no Glue view ${name}`);
    const definition = decodePrestoView(input.ViewOriginalText);
    input.ViewOriginalText = encodePrestoView({ ...definition, originalSql: rewrite(definition.originalSql) });
  };
}

/** The MergeGroup state inside the rendered definition. */
function mergeGroup(definition: Record<string, unknown>): { Parameters: Record<string, unknown> } {
  const states = definition.States as Record<string, { ItemProcessor?: { States: Record<string, { Parameters: Record<string, unknown> }> } }>;
  const state = states.MergeGroups?.ItemProcessor?.States.MergeGroup;
  if (state === undefined) throw new Error('no MergeGroup state');
  return state;
}

/** The Lambdas log to stdout (CloudWatch Logs on AWS): silenced for the tests of the enclosing describe. */
function quietLambdaLogs(): void {
  let log: jest.SpyInstance;
  beforeAll(() => {
    log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterAll(() => log.mockRestore());
}

describe('npm run verify:aws, small (the offline AWS proof)', () => {
  let report: VerifyAwsReport;
  let log: jest.SpyInstance;
  beforeAll(async () => {
    log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    report = await verifyAws({ events: 2000, backlogObjects: 5000 });
  }, 240_000);
  afterAll(() => log.mockRestore());

  it('runs the rendered definition through a failed run, a resumed one, a skipped one, a repeat and a backfill', () => {
    expect(report.details.failed_run).toMatch(/^States\.TaskFailed: /);
    expect(report.details.summary).toMatchObject({ status: 'committed', resumed: true });
    expect(report.details.second_run_status).toBe('nothing_to_do');
    expect(report.details.backfill).toMatchObject({ status: 'committed', inserted: 0 });
    // A user forgotten before the backfill: every line of theirs it read again is classed erased (none stored).
    expect(report.details.erased_user.curated_rows).toBeGreaterThan(0);
    expect(report.details.backfill.erased).toBeGreaterThanOrEqual(report.details.erased_user.curated_rows);
    expect(report.states_executed).toBeGreaterThan(40);
  });

  it("commits exactly the generator's expected outcome", () => {
    const { summary, expected } = report.details;
    expect([summary.inserted, summary.quarantined]).toEqual([expected.inserted, expected.quarantined]);
    expect(summary.inserted + summary.duplicates_in_batch + summary.duplicates_existing + summary.quarantined + summary.blank_lines).toBe(summary.lines_read);
  });

  it('makes no AWS call the template IAM denies, and leaves no grant unexercised without a reason', () => {
    expect(report.aws_calls).toBeGreaterThan(100);
    expect(report.details.denied).toEqual([]);
    expect(report.details.unused_grants).toEqual([]);
    expect(report.details.unknown_actions).toEqual([]);
  });

  it('runs every saved analyst query through Athena on the template catalog, none naming a batch', () => {
    expect(Object.keys(report.details.saved_queries).sort()).toEqual(savedQueries().map((q) => q.name));
    for (const [name, rows] of Object.entries(report.details.saved_queries)) expect([name, rows > 0]).toEqual([name, true]);
  });

  it('keeps every state payload, and those of a 10 TB backlog, far under 256 KiB', () => {
    expect(report.max_state_payload_bytes).toBeGreaterThan(0);
    expect(report.max_state_payload_bytes).toBeLessThan(64 * 1024);
    expect(report.backlog_max_state_payload_bytes).toBeLessThan(64 * 1024);
    expect(report.details.backlog_plan.backlog_objects).toBeGreaterThan(0);
  });

  it("shows a reader of the analysts' events none of a batch before CommitBatch, though MERGE groups committed, and all of it after", () => {
    const { reader, summary } = report.details;
    expect(reader.batch_id).toBe(summary.batch_id);
    // The defect the view hides: part of the batch is in the Iceberg table before the commit.
    expect(reader.after_first_merge_group.events_all_batches).toBeGreaterThan(0);
    expect(reader.after_first_merge_group.events_all_batches).toBeLessThan(summary.inserted);
    expect(reader.after_first_merge_group).toMatchObject({ events: 0, quarantine: 0 });
    expect(reader.after_failed_run).toMatchObject({ events: 0, quarantine: 0 });
    expect(reader.after_failed_run.quarantine_all_batches).toBeGreaterThan(0);
    expect(reader.after_commit).toEqual({
      events: summary.inserted,
      events_all_batches: summary.inserted,
      quarantine: reader.after_commit.quarantine_all_batches,
      quarantine_all_batches: reader.after_commit.quarantine_all_batches,
    });
    expect([report.reader_rows_before_commit, report.reader_rows_after_commit]).toEqual([0, summary.inserted]);
  });

  it("shows in the analysts' quarantine view through Athena each record's latest replay, as the local view does", () => {
    const { replays, replayed_records: replayed } = report.details;
    expect(replays.map((r) => [r.status, r.mode])).toEqual([['committed', 'replay'], ['committed', 'replay']]);
    expect(replays[1]?.batch_id).not.toBe(replays[0]?.batch_id);
    // Every record the second replay re-validated shows it (verify-aws.ts checks the batch, time and outcome).
    expect(replayed).toBeGreaterThan(0);
    expect(replayed).toBe(replays[1]?.lines_read);
    expect(report.details.parity_problems).toEqual([]);
  });

  it('leaves the same curated rows and summary as the local runtime', () => {
    expect(report.details.parity_problems).toEqual([]);
    expect(report.parity).toBe(true);
  });
});

describe('verify:aws catches a view that does not filter to committed batches (issue 7)', () => {
  quietLambdaLogs();

  it('fails when the events view reads events_all_batches without the committed_batches filter', async () => {
    const unfiltered = rewriteView('events', (sql) => sql.replace(/ WHERE "batch_id" IN \(SELECT .*\)$/, ''));

    await expect(verifyAws({ events: 300, backlogObjects: 100, maxPartitionsPerMerge: 2, alterTemplate: unfiltered })).rejects.toThrow(
      /a reader saw [1-9]\d* rows and 0 quarantine records of batch [0-9a-f]+ after its first MERGE group committed, before CommitBatch/,
    );
  }, 240_000);

  it("fails when the quarantine view shows every replay's outcome instead of each record's latest", async () => {
    const everyOutcome = rewriteView('quarantine', (sql) => sql.replace(' WHERE "replay_rank" = 1', ''));

    // 500 events (seed 7) quarantine a line a replay re-validates (a whole line of a replayable reason); 300 none.
    await expect(verifyAws({ events: 500, backlogObjects: 100, alterTemplate: everyOutcome })).rejects.toThrow(
      /the quarantine view through Athena after the replays: [1-9]\d* records show an earlier replay than the latest.*; [1-9]\d* records appear more than once/,
    );
  }, 240_000);

  it('fails when a view declares columns its SQL does not yield (Athena: stale view)', async () => {
    const stale = rewriteView('quarantine', (sql) => sql.replace('q."raw_line", ', ''));

    await expect(verifyAws({ events: 300, backlogObjects: 100, alterTemplate: stale })).rejects.toThrow(/VIEW_IS_STALE: view eventlake_dev\.quarantine/);
  }, 240_000);
});

describe('verify:aws catches a replay_outcomes table Athena cannot read without naming its partitions', () => {
  quietLambdaLogs();

  it('fails when replay_outcomes is partitioned by batch_id without projection: Glue holds no partition, the view no replay', async () => {
    const partitioned = (template: Record<string, unknown>) => {
      const resources = template.Resources as Record<string, { Type: string; Properties: { TableInput?: { Name?: string; PartitionKeys?: unknown[] } } }>;
      const input = Object.values(resources).find((r) => r.Type === 'AWS::Glue::Table' && r.Properties.TableInput?.Name === 'replay_outcomes')?.Properties.TableInput;
      if (input === undefined) throw new Error('no Glue table replay_outcomes');
      input.PartitionKeys = [{ Name: 'batch_id', Type: 'string' }];
    };

    await expect(verifyAws({ events: 500, backlogObjects: 100, alterTemplate: partitioned })).rejects.toThrow(
      /the quarantine view through Athena after the replays: 0 records show the last replay [0-9a-f]+, which re-validated [1-9]\d*/,
    );
  }, 240_000);
});

describe('verify:aws catches the defects of issue 6', () => {
  quietLambdaLogs();

  it('fails when MergeGroup reuses one ClientRequestToken per batch and group: the resumed MERGE gets the failed one back', async () => {
    const fixedToken = (definition: Record<string, unknown>) => {
      mergeGroup(definition).Parameters['ClientRequestToken.$'] = "States.Format('eventlake-merge-{}-{}-0123456789abcdef', $.batch_id, $.group.group)";
    };

    await expect(verifyAws({ events: 300, backlogObjects: 100, alterDefinition: fixedToken })).rejects.toThrow(/ICEBERG_COMMIT_ERROR: injected by verify:aws/);
  }, 240_000);

  it('fails when MergeGroup sends ExecutionParameters with its MERGE', async () => {
    const withParameters = (definition: Record<string, unknown>) => {
      mergeGroup(definition).Parameters['ExecutionParameters.$'] = "States.Array(States.Format('\\'{}\\'', $.batch_id), States.Format('{}', $.group.group))";
    };

    await expect(verifyAws({ events: 300, backlogObjects: 100, alterDefinition: withParameters })).rejects.toThrow(/execution parameters are supported only for SELECT, INSERT INTO, CTAS and UNLOAD statements, not MERGE/);
  }, 240_000);
});
