import { verifyForget, type VerifyForgetReport } from '../../verify/aws/verify-forget';

/**
 * The forget state machine as AWS would run it, offline (verify/aws/verify-forget.ts): the synthesized
 * template's definition and roles, the real Lambda entry points, and Athena / S3 / DynamoDB fakes that keep
 * AWS's rules (DELETE on Iceberg tables only, its id formatted into the text: no execution parameters).
 */
describe('verify: the forget state machine on the AWS fakes', () => {
  jest.setTimeout(300_000);
  let report: VerifyForgetReport;

  beforeAll(async () => {
    report = await verifyForget({ events: 400 });
  });

  it("deletes the user's rows from the Iceberg tables with two DELETEs, and touches nobody else's", () => {
    expect(report.summary).toMatchObject({ status: 'forgotten', error: null });
    const [before, after] = report.user_rows;
    expect(before).toBeGreaterThan(0);
    expect(after).toBe(0);
    expect(report.summary.removed.curated_rows).toBe(before);
    expect(report.summary.removed.curated_partitions).toBeGreaterThan(0);
    expect(report.statements.filter((s) => s.includes('DELETE FROM'))).toEqual([
      expect.stringMatching(/^SUCCEEDED DELETE FROM "eventlake_dev"\."events_all_batches" WHERE user_uuid = '[0-9a-f-]{36}'$/),
      expect.stringMatching(/^SUCCEEDED DELETE FROM "eventlake_dev"\."classified" WHERE user_uuid = '[0-9a-f-]{36}'$/),
    ]);
  });

  it('completes the erasure record, named by the salted hash, without the id', () => {
    expect(report.record?.user_hash).toBe(report.summary.user_hash);
    expect(report.record?.completed_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(report.record?.removed.curated_rows).toBe(report.user_rows[0]);
    expect(JSON.stringify(report.record)).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it('a later backfill of the same days brings none of their rows back and changes nobody else', () => {
    expect(report.backfill).toMatchObject({ status: 'committed', inserted: 0 });
    expect(report.backfill.erased).toBeGreaterThanOrEqual(report.user_rows[0]);
    expect(report.user_rows[2]).toBe(0);
    // Their state went with the forget, and the backfill's account events did not rebuild it.
    expect(report.user_state_items[0]).toBeGreaterThan(0);
    expect(report.user_state_items.slice(1)).toEqual([0, 0]);
    expect(report.other_rows[1]).toBe(report.other_rows[0]);
  });

  it("needs nothing the template's IAM does not grant, and is granted nothing it does not use", () => {
    expect(report.denied).toEqual([]);
    expect(report.iam_denied).toBe(0);
    expect(report.unused_grants).toEqual([]);
    expect(report.aws_calls).toBeGreaterThan(0);
  });
});
