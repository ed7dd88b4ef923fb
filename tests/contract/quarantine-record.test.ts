import { toQuarantineRecord, utf8PrefixEnd } from '../../src/contract/quarantine-record';
import { RAW_KEEP_BYTES } from '../../src/contract/limits';

const base = {
  batchId: 'batch-1',
  sourceKey: 'raw/2024/04/08/00/a.gz',
  lineNo: 7,
  reason: 'not_json' as const,
  errors: ['line: not valid JSON (...)'],
  quarantinedAt: '2024-04-08T00:05:00.000Z',
};

describe('toQuarantineRecord', () => {
  it('keeps a short UTF-8 line whole, without base64', () => {
    // Prepare
    const raw = Buffer.from('{"a": "São Paulo"');

    // Act
    const record = toQuarantineRecord({ ...base, raw });

    // Assess
    expect(record).toEqual({
      batch_id: 'batch-1',
      source_key: 'raw/2024/04/08/00/a.gz',
      line_no: 7,
      reason: 'not_json',
      errors: ['line: not valid JSON (...)'],
      raw_line: '{"a": "São Paulo"',
      raw_base64: null,
      raw_size_bytes: raw.length,
      truncated: false,
      quarantined_at: '2024-04-08T00:05:00.000Z',
    });
  });

  it('truncates a long line to 64 KiB on a character boundary and records the real size', () => {
    // Prepare: 'x' then 3-byte characters, so byte 65536 falls inside a character
    const raw = Buffer.from(`x${'€'.repeat(30_000)}`);

    // Act
    const record = toQuarantineRecord({ ...base, reason: 'too_large', raw });

    // Assess
    expect({
      keptBytes: Buffer.byteLength(record.raw_line),
      endsWhole: record.raw_line.endsWith('€'),
      size: record.raw_size_bytes,
      truncated: record.truncated,
      base64: record.raw_base64,
    }).toEqual({ keptBytes: 1 + 3 * 21_845, endsWhole: true, size: 90_001, truncated: true, base64: null });
  });

  it('keeps exactly 64 KiB of ASCII', () => {
    // Act
    const record = toQuarantineRecord({ ...base, raw: Buffer.alloc(RAW_KEEP_BYTES + 10, 'a') });

    // Assess
    expect([record.raw_line.length, record.truncated]).toEqual([RAW_KEEP_BYTES, true]);
  });

  it('records the real size of a head cut by the reader, dropping a split last character', () => {
    // Prepare: the reader kept 3 bytes of "ab€...": the € is cut after its first byte
    const raw = Buffer.from('ab€').subarray(0, 3);

    // Act
    const record = toQuarantineRecord({ ...base, reason: 'too_large', raw, rawSizeBytes: 500_000 });

    // Assess
    expect([record.raw_line, record.raw_base64, record.raw_size_bytes, record.truncated]).toEqual([
      'ab',
      null,
      500_000,
      true,
    ]);
  });

  it('sets raw_base64 to the exact bytes of an invalid UTF-8 line', () => {
    // Prepare
    const raw = Buffer.from([0x7b, 0x22, 0xe3, 0x6f, 0xff, 0x22]);

    // Act
    const record = toQuarantineRecord({ ...base, reason: 'invalid_utf8', raw });

    // Assess
    expect([record.raw_base64, record.raw_line, record.truncated]).toEqual([
      raw.toString('base64'),
      '{"\ufffdo\ufffd"',
      false,
    ]);
  });

  it('records a whole unreadable object with line_no null', () => {
    // Act
    const record = toQuarantineRecord({
      ...base,
      lineNo: null,
      reason: 'unreadable_object',
      raw: Buffer.from([0x1f, 0x8b, 0x08, 0x00]),
      rawSizeBytes: 1234,
    });

    // Assess
    expect(record).toMatchObject({
      line_no: null,
      raw_size_bytes: 1234,
      truncated: true,
      raw_base64: 'H4sIAA==',
    });
  });
});

describe('utf8PrefixEnd', () => {
  it.each([
    ['before a cut 2-byte character', Buffer.from('aé'), 2, 1],
    ['after a whole 2-byte character', Buffer.from('aé'), 3, 3],
    ['before a cut 4-byte character', Buffer.from('a😀'), 4, 1],
    ['after ASCII', Buffer.from('abc'), 2, 2],
  ])('cuts %s', (_label, bytes, end, expected) => {
    // Act
    const cut = utf8PrefixEnd(bytes, end);

    // Assess
    expect(cut).toBe(expected);
  });
});
