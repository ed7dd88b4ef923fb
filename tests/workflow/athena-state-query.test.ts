import { installPromiseWithResolvers } from '../../src/runtime/polyfill';
import { StateMachine } from 'aws-local-stepfunctions';
import { bindLiterals } from '../../src/adapters/aws/athena-sql-text';
import { athenaIdentifiers } from '../../src/workflow/athena-tables';
import { athenaStateQuery, recognizeAthenaStatement, statesFormatTemplate } from '../../src/workflow/athena-state-query';
import { STATE_BINDINGS, type AthenaBinding } from '../../src/workflow/registry';
import { renderSql } from '../../src/sql/render';

installPromiseWithResolvers();

/** Runs States.Format(template, ...values) on the real ASL interpreter. */
async function format(template: string, values: readonly (string | number)[]): Promise<string> {
  const args = values.map((_v, i) => `$.v[${i}]`).join(', ');
  const machine = new StateMachine({
    StartAt: 'F',
    States: { F: { Type: 'Pass', Parameters: { 'q.$': `States.Format('${template}', ${args})` }, End: true } },
  });
  const out = (await machine.run({ v: [...values] }).result) as { q: string };
  return out.q;
}

const BATCH = '0123456789abcdef0123456789abcdef';

describe('statesFormatTemplate', () => {
  it('turns ? into {} or quoted {} by kind, escapes quote, braces and backslash, drops comments', () => {
    const sql = "-- a comment with a ? in it\nSELECT '{x}\\' AS s FROM t WHERE a = ? AND b = ?;";

    expect(statesFormatTemplate(sql, ['string', 'number'])).toBe("SELECT \\'\\{x\\}\\\\\\' AS s FROM t WHERE a = \\'{}\\' AND b = {}");
  });

  it('refuses a template whose ? count differs from its declared params', () => {
    expect(() => statesFormatTemplate('SELECT 1 WHERE a = ?', [])).toThrow(/1 \? but 0 declared params/);
    expect(() => statesFormatTemplate('SELECT 1', ['number'])).toThrow(/0 \? but 1 declared params/);
  });

  it('gives, through the real interpreter, the Athena MERGE with its values as literals', async () => {
    const binding = STATE_BINDINGS.MergeGroup as AthenaBinding;
    const query = await format(athenaStateQuery(binding, 'eventlake_dev'), [BATCH, 3, 'app', 'lesson', '2026-11-30', '2026-12-01']);

    expect(query).toContain(`WHERE batch_id = '${BATCH}' AND merge_group = CAST(3 AS INTEGER) AND class = 'insert'`);
    expect(query).toContain("AND t.event_type BETWEEN 'app' AND 'lesson' AND t.event_date BETWEEN CAST('2026-11-30' AS DATE) AND CAST('2026-12-01' AS DATE)");
    expect(query).not.toMatch(/--|\?/);
  });
});

describe('recognizeAthenaStatement', () => {
  it.each(Object.entries(STATE_BINDINGS).filter(([, b]) => b.kind === 'athena'))(
    'reads the values of the %s state back from its formatted text',
    async (_state, binding) => {
      const athena = binding as AthenaBinding;
      const values = athena.params.map((kind, i) => (kind === 'number' ? i + 1 : `v${i}`));
      const query = await format(athenaStateQuery(athena, 'eventlake_dev'), values);

      expect(recognizeAthenaStatement(query, 'eventlake_dev')).toEqual({ name: athena.sql, params: values });
    },
  );

  it('reads the values AthenaEngine binds as literals (quotes doubled)', () => {
    const text = renderSql('athena', 'count_batch_rows', { batch_rows_source: athenaIdentifiers('db').batch_rows_source as string }).text;
    const bound = bindLiterals(text, ["'it''s'", "'2026-01-01'", "'2026-01-02'"]);

    expect(recognizeAthenaStatement(bound, 'db')).toEqual({ name: 'count_batch_rows', params: ["it's", '2026-01-01', '2026-01-02'] });
  });

  it('recognises only our own statements over the given database', async () => {
    const binding = STATE_BINDINGS.ClearClassified as AthenaBinding;
    const query = await format(athenaStateQuery(binding, 'eventlake_dev'), [BATCH]);

    expect(recognizeAthenaStatement(query, 'other_db')).toBeUndefined();
    expect(recognizeAthenaStatement(`${query} OR 1=1`, 'eventlake_dev')).toBeUndefined();
    expect(recognizeAthenaStatement('SELECT 1', 'eventlake_dev')).toBeUndefined();
  });
});
