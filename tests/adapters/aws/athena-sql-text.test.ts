import { athenaLiteral, bindLiterals, scanStatements } from '../../../src/adapters/aws/athena-sql-text';
import { athenaValue, isoUtc } from '../../../src/adapters/aws/athena-values';

describe('scanStatements', () => {
  it('splits at top-level ";" and drops the empty tail', () => {
    expect(scanStatements('SELECT 1; SELECT 2;\n')).toEqual({
      statements: ['SELECT 1', 'SELECT 2'],
      placeholders: [0, 0],
      positions: [],
    });
  });

  it('ignores ";" and "?" inside quotes, identifiers and comments', () => {
    const text = `SELECT 'a;?''b', "c;?", \`d;?\`, ? -- e;?\nFROM t /* f;? */ WHERE x = ?`;

    expect(scanStatements(text)).toEqual({
      statements: [text],
      placeholders: [2],
      positions: [text.indexOf(', ? --') + 2, text.lastIndexOf('?')],
    });
  });

  it('drops parts holding only comments and whitespace, keeps a leading comment with its statement', () => {
    expect(scanStatements('-- only a comment;\n;\n/* x */ ;\n-- header\nSELECT 1;')).toEqual({
      statements: ['-- header\nSELECT 1'],
      placeholders: [0],
      positions: [],
    });
  });

  it('answers no statement for an empty text', () => {
    expect(scanStatements('  \n ').statements).toEqual([]);
  });
});

describe('athenaLiteral', () => {
  it.each([
    ["O'Brien'; DROP TABLE t; --", "'O''Brien''; DROP TABLE t; --'"],
    ['', "''"],
    ['caf\u00e9\n', "'caf\u00e9\n'"],
    [7, '7'],
    [-1.5, '-1.5'],
    [true, 'TRUE'],
    [false, 'FALSE'],
    [null, 'NULL'],
  ])('renders %p as %s', (value, literal) => {
    expect(athenaLiteral(value)).toBe(literal);
  });

  it('refuses NaN and infinities', () => {
    expect(() => athenaLiteral(Number.POSITIVE_INFINITY)).toThrow(/finite/);
  });
});

describe('athenaValue', () => {
  it('maps NULL (no VarCharValue) to null whatever the type', () => {
    expect(athenaValue('varchar', undefined)).toBeNull();
    expect(athenaValue('timestamp', undefined)).toBeNull();
  });

  it('reads an empty value of a non-text column as null, never as 0 or false', () => {
    expect(athenaValue('bigint', '')).toBeNull();
    expect(athenaValue('boolean', '')).toBeNull();
    expect(athenaValue('varchar', '')).toBe('');
  });

  it('reads numeric types with a precision suffix', () => {
    expect(athenaValue('decimal(18,6)', '1.5')).toBe(1.5);
  });

  it('leaves array, map and row text as Athena renders it', () => {
    expect(athenaValue('array', '[1, 2, 3]')).toBe('[1, 2, 3]');
  });
});

describe('isoUtc', () => {
  it.each([
    ['2024-04-07 17:42:01', '2024-04-07T17:42:01.000000Z'],
    ['2024-04-07 17:42:01.5', '2024-04-07T17:42:01.500000Z'],
    ['2024-04-07 17:42:01.123456789', '2024-04-07T17:42:01.123456Z'],
    ['1969-12-31 23:59:59.999999', '1969-12-31T23:59:59.999999Z'],
    ['2024-04-07 17:42:01.022 UTC', '2024-04-07T17:42:01.022000Z'],
    ['2024-04-07 12:42:01.022 -05:00', '2024-04-07T17:42:01.022000Z'],
    ['2024-07-01 12:00:00.000 Europe/Paris', '2024-07-01T10:00:00.000000Z'],
    ['2024-01-01 12:00:00.000 America/New_York', '2024-01-01T17:00:00.000000Z'],
    ['0050-01-01 00:00:00', '0050-01-01T00:00:00.000000Z'],
  ])('%s -> %s', (text, iso) => {
    expect(isoUtc(text)).toBe(iso);
  });

  it('refuses text that is not a timestamp', () => {
    expect(() => isoUtc('yesterday')).toThrow(/not an Athena timestamp/);
  });
});

describe('bindLiterals', () => {
  it('replaces only top-level ? and leaves ? inside quotes and comments alone', () => {
    const text = "SELECT '?', \"a?\" FROM t -- why?\nWHERE a = ? AND b = ? /* ? */";

    expect(bindLiterals(text, ["'x'", '2'])).toBe("SELECT '?', \"a?\" FROM t -- why?\nWHERE a = 'x' AND b = 2 /* ? */");
  });

  it('refuses a literal count that does not match the placeholders', () => {
    expect(() => bindLiterals('SELECT ?', [])).toThrow(/expects 1 parameter/);
  });
});
