import { duplicateTopLevelKeys, findInvalidCharacter, scanStructure } from '../../src/contract/scan';

describe('scanStructure', () => {
  it.each([
    ['{}', 1],
    ['{"a":[{"b":[]}]}', 4],
    ['{"a":"[[[{{{"}', 1],
    ['{"a":"x\\"{{{[[[","b":1}', 1],
    ['{"a":"\\\\","b":{}}', 2],
    ['42', 0],
  ])('measures the depth of %s as %i, ignoring brackets inside strings', (text, depth) => {
    // Act
    const scan = scanStructure(text);

    // Assess
    expect(scan.maxDepth).toBe(depth);
  });

  it('counts top-level keys only, duplicates included', () => {
    // Act
    const scan = scanStructure('{"a":1,"b":{"c":2,"d":[{"e":3}]},"a":"x:y,z"}');

    // Assess
    expect(scan).toEqual({ maxDepth: 4, topLevelKeyCount: 3, forbiddenKey: null, complete: true });
  });

  it('does not take string values for keys', () => {
    // Act
    const scan = scanStructure('{"a":"__proto__","b":["constructor","prototype"]}');

    // Assess
    expect(scan).toMatchObject({ topLevelKeyCount: 2, forbiddenKey: null });
  });

  it('finds a forbidden key inside an array of objects', () => {
    // Act
    const scan = scanStructure('{"a":[1,{"ok":1,"constructor":2}]}');

    // Assess
    expect(scan.forbiddenKey).toBe('constructor');
  });

  it('decodes escaped keys before comparing them', () => {
    // Act
    const scan = scanStructure('{"proto\\u0074ype":1}');

    // Assess
    expect(scan.forbiddenKey).toBe('prototype');
  });

  it.each([
    ['an unterminated string', '{"a":"abc'],
    ['an unclosed object', '{"a":{"b":1}'],
    ['a second top-level object', '{"a":1}{"a":2}'],
    ['a closer without opener', '}{"a":1}'],
  ])('marks %s as incomplete', (_label, text) => {
    // Act
    const scan = scanStructure(text);

    // Assess
    expect(scan.complete).toBe(false);
  });

  it('does not count the keys of a second top-level object', () => {
    // Act
    const scan = scanStructure('{"a":1}{"a":2}');

    // Assess
    expect(scan.topLevelKeyCount).toBe(1);
  });
});

describe('duplicateTopLevelKeys', () => {
  it('names each duplicated key once, decoded', () => {
    // Act
    const duplicates = duplicateTopLevelKeys('{"a":1,"b":2,"\\u0061":3,"a":4,"c":{"b":1}}');

    // Assess
    expect(duplicates).toEqual(['a']);
  });
});

describe('findInvalidCharacter', () => {
  it('passes text without NUL or \\u escapes', () => {
    // Act
    const problem = findInvalidCharacter('{"a":"plain text é 😀"}');

    // Assess
    expect(problem).toBeNull();
  });

  it('passes an escaped backslash followed by the text u0000', () => {
    // Act
    const problem = findInvalidCharacter('{"a":"\\\\u0000"}');

    // Assess
    expect(problem).toBeNull();
  });

  it('finds an escaped NUL after an escaped backslash', () => {
    // Act
    const problem = findInvalidCharacter('{"a":"\\\\\\u0000"}');

    // Assess
    expect(problem).toContain('escaped NUL character \\u0000 at position 8');
  });

  it('finds a lone high surrogate written in upper-case hex', () => {
    // Act
    const problem = findInvalidCharacter('{"a":"\\uD83D!"}');

    // Assess
    expect(problem).toContain('lone surrogate \\uD83D at position 6 (a high surrogate without its low half)');
  });

  it('finds a high surrogate followed by a non-surrogate escape', () => {
    // Act
    const problem = findInvalidCharacter('{"a":"\\ud83d\\u0041"}');

    // Assess
    expect(problem).toContain('lone surrogate \\ud83d');
  });

  it('passes a surrogate pair and other escapes', () => {
    // Act
    const problem = findInvalidCharacter('{"a":"\\ud83d\\ude00 \\n \\u00e9 \\uffff"}');

    // Assess
    expect(problem).toBeNull();
  });

  it('leaves a cut escape at the end of the text to JSON.parse', () => {
    // Act
    const problem = findInvalidCharacter('{"a":"\\ud8');

    // Assess
    expect(problem).toBeNull();
  });
});
