import { installPromiseWithResolvers } from '../../src/runtime/polyfill';
import { StateMachine } from 'aws-local-stepfunctions';
import { mergeGroupIdentifiers } from '../../src/adapters/aws/athena-sources';
import { athenaStateQuery, parseMergeToken, statesFormatTemplate } from '../../src/runtime/athena-state-query';
import { STATE_BINDINGS, type AthenaBinding } from '../../src/runtime/registry';
import { renderSql } from '../../src/sql/render';

installPromiseWithResolvers();

/** Runs States.Format(template, batch, group) on the real ASL interpreter. */
async function format(template: string, batch: string, group: number): Promise<string> {
  const machine = new StateMachine({
    StartAt: 'F',
    States: { F: { Type: 'Pass', Parameters: { 'q.$': `States.Format('${template}', $.b, $.g)` }, End: true } },
  });
  const out = (await machine.run({ b: batch, g: group }).result) as { q: string };
  return out.q;
}

describe('statesFormatTemplate', () => {
  it('turns ? into {} or quoted {} by kind, escapes quote, braces and backslash, drops comments', () => {
    const sql = "-- a comment with a ? in it\nSELECT '{x}\\' AS s FROM t WHERE a = ? AND b = ?";

    expect(statesFormatTemplate(sql, ['string', 'number'])).toBe("SELECT \\'\\{x\\}\\\\\\' AS s FROM t WHERE a = \\'{}\\' AND b = {}");
  });

  it('refuses a template whose ? count differs from its declared params', () => {
    expect(() => statesFormatTemplate('SELECT 1 WHERE a = ?', [])).toThrow(/more \? than the 0 declared params/);
    expect(() => statesFormatTemplate('SELECT 1', ['number'])).toThrow(/0 \? but 1 declared params/);
  });

  it('gives, through the real interpreter, the Athena MERGE with the batch and group as literals', async () => {
    const binding = STATE_BINDINGS.MergeGroup as AthenaBinding;
    const batch = '0123456789abcdef0123456789abcdef';

    const query = await format(athenaStateQuery(binding, mergeGroupIdentifiers('eventlake_dev')), batch, 3);

    const expected = renderSql('athena', 'merge_group', mergeGroupIdentifiers('eventlake_dev'))
      .text.replace(/--[^\n]*/g, '')
      .replace('batch_id = ?', `batch_id = '${batch}'`)
      .replace('CAST(? AS INTEGER)', 'CAST(3 AS INTEGER)')
      .replace(/\n{2,}/g, '\n')
      .trim();
    expect(query).toBe(expected);
    expect(query).toContain(`WHERE batch_id = '${batch}' AND merge_group = CAST(3 AS INTEGER) AND class = 'insert'`);
  });
});

describe('parseMergeToken', () => {
  it('reads batch and group back from the deterministic ClientRequestToken', () => {
    expect(parseMergeToken('eventlake-merge-0123456789abcdef0123456789abcdef-12')).toEqual({ batchId: '0123456789abcdef0123456789abcdef', group: 12 });
  });

  it('refuses anything else', () => {
    expect(() => parseMergeToken("eventlake-merge-x'; DROP TABLE events; --")).toThrow(/unexpected ClientRequestToken/);
  });
});
