import fc from 'fast-check';
import { validateLine } from '../../src/contract/validate-line';
import { joinStagedLine, serializeStagedRow, splitStagedLine, stagedRow, type StagedRow } from '../../src/pipeline/staged-row';

const ARRIVAL = Date.UTC(2024, 3, 8);

function rowFor(line: string): StagedRow {
  const result = validateLine(Buffer.from(line, 'utf8'), { arrivalMs: ARRIVAL });
  if (result.kind !== 'valid') throw new Error(`fixture line is not valid: ${JSON.stringify(result)}`);
  return stagedRow(result.event, 'raw/2024/04/07/10/key "with" quotes.gz', 7);
}

describe('serializeStagedRow', () => {
  it('equals JSON.stringify of the row for a lesson with free-text fields needing escapes', () => {
    const row = rowFor(
      '{"event_uuid":"6F1C2B8E-0D4A-4C1B-9E2F-3A4B5C6D7E8F","event_name":"lesson:started","created_at":1712511721.022075,' +
        '"user_uuid":"0d4a6f1c-2b8e-4c1b-9e2f-3a4b5c6d7e8f","language":"de \\"quoted\\" \\u00e9\\\\","note":"tab\\there"}',
    );
    row.country = 'Côte d\'Ivoire "CI"';
    row.enrichment_status = 'no_subscription';

    expect(serializeStagedRow(row)).toBe(JSON.stringify(row));
  });

  it('equals JSON.stringify for arbitrary free-text values', () => {
    const base = rowFor('{"event_uuid":"0d4a6f1c-2b8e-4c1b-9e2f-3a4b5c6d7e8f","event_name":"app:opened","created_at":1712511721}');
    fc.assert(
      fc.property(fc.option(fc.string()), fc.option(fc.string()), fc.string(), (language, country, source) => {
        const row: StagedRow = { ...base, language, country, source_key: source, payload: `{"x":${JSON.stringify(source)}}` };
        expect(JSON.parse(serializeStagedRow(row))).toEqual(row);
        expect(serializeStagedRow(row)).toBe(JSON.stringify(row));
      }),
    );
  });
});

describe('splitStagedLine / joinStagedLine', () => {
  it('replace the enrichment fields exactly as serializing the enriched row would', () => {
    const row = rowFor(
      '{"event_uuid":"0d4a6f1c-2b8e-4c1b-9e2f-3a4b5c6d7e8f","event_name":"lesson:started","created_at":1712511721.5,' +
        '"user_uuid":"1d4a6f1c-2b8e-4c1b-9e2f-3a4b5c6d7e8f","language":"x\\",\\"country\\":","note":",\\"payload\\":"}',
    );
    const enrichment = { country: 'DE', subscription_type: 'yearly', subscription_status: null, enrichment_status: 'enriched' as const };

    const { head, prefix, suffix } = splitStagedLine(serializeStagedRow(row));

    expect(head).toEqual({ event_uuid: row.event_uuid, created_at: 1712511721.5, user_uuid: row.user_uuid, language: 'x","country":', event_name: row.event_name, event_type: 'lesson', event_subtype: 'started', created_datetime: row.created_datetime, event_date: row.event_date });
    expect(joinStagedLine(prefix, enrichment, suffix)).toBe(serializeStagedRow({ ...row, ...enrichment }));
  });

  it('hold for arbitrary free text in language and payload', () => {
    const base = rowFor('{"event_uuid":"0d4a6f1c-2b8e-4c1b-9e2f-3a4b5c6d7e8f","event_name":"lesson:started","created_at":1712511721,"user_uuid":"1d4a6f1c-2b8e-4c1b-9e2f-3a4b5c6d7e8f","language":"de"}');
    fc.assert(
      fc.property(fc.option(fc.string()), fc.string(), fc.option(fc.string()), (language, payloadText, country) => {
        const row: StagedRow = { ...base, language, payload: JSON.stringify({ t: payloadText }) };
        const { head, prefix, suffix } = splitStagedLine(serializeStagedRow(row));
        const enrichment = { country, subscription_type: null, subscription_status: 'active', enrichment_status: 'no_subscription' as const };
        expect(head.language).toBe(language);
        expect(joinStagedLine(prefix, enrichment, suffix)).toBe(serializeStagedRow({ ...row, ...enrichment }));
      }),
    );
  });
});
