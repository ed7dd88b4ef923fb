import { verifyAws, type VerifyAwsReport } from '../../verify/aws/verify-aws';

/** The MergeGroup state inside the rendered definition. */
function mergeGroup(definition: Record<string, unknown>): { Parameters: Record<string, unknown> } {
  const states = definition.States as Record<string, { ItemProcessor?: { States: Record<string, { Parameters: Record<string, unknown> }> } }>;
  const state = states.MergeGroups?.ItemProcessor?.States.MergeGroup;
  if (state === undefined) throw new Error('no MergeGroup state');
  return state;
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

  it('keeps every state payload, and those of a 10 TB backlog, far under 256 KiB', () => {
    expect(report.max_state_payload_bytes).toBeGreaterThan(0);
    expect(report.max_state_payload_bytes).toBeLessThan(64 * 1024);
    expect(report.backlog_max_state_payload_bytes).toBeLessThan(64 * 1024);
    expect(report.details.backlog_plan.backlog_objects).toBeGreaterThan(0);
  });

  it('leaves the same curated rows and summary as the local runtime', () => {
    expect(report.details.parity_problems).toEqual([]);
    expect(report.parity).toBe(true);
  });
});

describe('verify:aws catches the defects of issue 6', () => {
  let log: jest.SpyInstance;
  beforeAll(() => {
    log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterAll(() => log.mockRestore());

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
