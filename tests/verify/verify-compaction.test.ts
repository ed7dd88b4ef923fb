import { verifyCompaction, type VerifyCompactionReport } from '../../verify/aws/verify-compaction';

/**
 * The compaction state machine as AWS would run it, offline (verify/aws/verify-compaction.ts): the synthesized
 * template's definition and roles, the real Lambda entry points, and Athena / S3 / DynamoDB fakes that keep
 * AWS's rules (OPTIMIZE and VACUUM on Iceberg tables only, OPTIMIZE's WHERE on partition columns only).
 */
describe('verify: the compaction state machine on the AWS fakes', () => {
  jest.setTimeout(300_000);
  let report: VerifyCompactionReport;

  beforeAll(async () => {
    report = await verifyCompaction({ events: 400 });
  });

  it('compacts: one OPTIMIZE per partition (partition columns only), VACUUM of both tables, every statement succeeding', () => {
    expect(report.summary).toMatchObject({ status: 'compacted', batches_pruned: 1, error: null });
    expect(report.summary.partitions).toBeGreaterThan(1);
    const optimize = report.statements.filter((s) => s.includes('OPTIMIZE'));
    expect(optimize).toHaveLength(report.summary.partitions);
    for (const statement of optimize) {
      expect(statement).toMatch(/^SUCCEEDED OPTIMIZE eventlake_dev\.events_all_batches REWRITE DATA USING BIN_PACK WHERE event_type = '[^']+' AND event_date = DATE '\d{4}-\d{2}-\d{2}'$/);
    }
    expect(report.statements.filter((s) => /^SUCCEEDED VACUUM /.test(s))).toEqual([
      'SUCCEEDED VACUUM eventlake_dev.events_all_batches',
      'SUCCEEDED VACUUM eventlake_dev.classified',
    ]);
    expect(report.statements.filter((s) => s.includes('DELETE FROM'))).toEqual([
      `SUCCEEDED DELETE FROM "eventlake_dev"."classified" WHERE batch_id = '${report.committed_batch}'`,
    ]);
    expect(report.curated_rows[1]).toBe(report.curated_rows[0]);
  });

  it("prunes the committed batch's staging and never the in-flight batch's", () => {
    expect(report.staging.committed[0]).toBeGreaterThan(0);
    expect(report.staging.committed[1]).toBe(0);
    expect(report.staging.in_flight[0]).toBeGreaterThan(0);
    expect(report.staging.in_flight[1]).toBe(report.staging.in_flight[0]);
  });

  it("needs nothing the template's IAM does not grant, and is granted nothing it does not use", () => {
    expect(report.denied).toEqual([]);
    expect(report.iam_denied).toBe(0);
    // And its own roles hold nothing it never uses (or unexercised-grants.json says why).
    expect(report.unused_grants).toEqual([]);
    expect(report.aws_calls).toBeGreaterThan(0);
  });
});
