import { applyVersions, foldLimits, storedVersion } from '../../../src/adapters/version-fold';
import { replayVersion, stateLine, entityOfLine, entityVersions, FieldsDictionary, parseFieldsDictionary, toLogLine } from '../../../src/adapters/local/version-lines';
import { FOLDED_BASE_UUID, type StateVersion } from '../../../src/ports/state-store';

const day = 86_400;

/** The lines the file store appends for 30 writes of 100 versions over 60 days (bases included), in order. */
function foldedLog(): StateVersion[] {
  const limits = foldLimits(7);
  let current: readonly StateVersion[] = [];
  const log: StateVersion[] = [];
  for (let batch = 0; batch < 30; batch += 1) {
    const incoming = Array.from({ length: 100 }, (_, i) =>
      storedVersion({
        eventUuid: `e${batch * 100 + i}`,
        createdAt: 1_700_000_000 + (batch * 100 + i) * (day / 50),
        fields: { country: `C${i % 7}` },
      }),
    );
    const applied = applyVersions(current, incoming, limits);
    if (applied.newBase !== undefined) log.push(applied.newBase);
    log.push(...applied.added);
    current = applied.versions;
  }
  return log;
}

function replayed(lines: readonly StateVersion[], over = new Map<string, StateVersion>()): Map<string, StateVersion> {
  for (const line of lines) replayVersion(over, line);
  return over;
}

describe('replayVersion', () => {
  it('replays the fold: a base and the versions after it', () => {
    const state = replayed(foldedLog());

    expect(state.get(FOLDED_BASE_UUID)).toBeDefined();
    const base = state.get(FOLDED_BASE_UUID) as StateVersion;
    expect([...state.values()].filter((version) => version !== base).every((version) => version.createdAt > base.createdAt)).toBe(true);
  });

  it('changes nothing when lines already replayed come again, older bases and folded versions included', () => {
    // A reader that read part of the log, then the sorted file a later compaction wrote, replays that part again.
    const log = foldedLog();
    const state = replayed(log);
    const expected = [...state.entries()];

    replayed(log.slice(0, log.length / 2), state);

    expect([...state.entries()].sort()).toEqual(expected.sort());
  });

  it('writes a state as one line that replays to the same state, its base first', () => {
    const state = replayed(foldedLog());

    const dictionary = new FieldsDictionary([]);
    const line = stateLine('account#u1', state, dictionary);

    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(entityOfLine(line.slice(0, -1))).toBe('account#u1');
    const versions = entityVersions('account#u1', line, dictionary.entries) as StateVersion[];
    expect(versions[0]?.eventUuid).toBe(FOLDED_BASE_UUID);
    const again = replayed(versions);
    expect([...again.entries()].sort()).toEqual([...state.entries()].sort());
  });

  it('reads the lines of a file written before state lines: one line per version', () => {
    const dictionary = new FieldsDictionary([]);
    const versions = entityVersions('account#u1', stateLine('account#u1', replayed(foldedLog()), dictionary), dictionary.entries) as StateVersion[];
    const lines = versions.map((version) => toLogLine({ entity: 'account#u1', version })).join('');

    expect(entityVersions('account#u1', lines, [])).toEqual(versions);
  });

  it('writes equal fields as one number of the dictionary, keeps the numbers it started from, and writes fields inline once it is full', () => {
    const dictionary = new FieldsDictionary([{ country: 'SE' }]);
    const state = new Map<string, StateVersion>([
      ['e1', { eventUuid: 'e1', createdAt: 1, fields: { country: 'FR' } }],
      ['e2', { eventUuid: 'e2', createdAt: 2, fields: { country: 'SE' } }],
      ['e3', { eventUuid: 'e3', createdAt: 3, fields: { country: 'FR' } }],
    ]);

    const line = stateLine('account#u1', state, dictionary);

    expect(JSON.parse(line)).toEqual({ entity: 'account#u1', versions: [['e1', 1, 1], ['e2', 2, 0], ['e3', 3, 1]] });
    const written = parseFieldsDictionary(JSON.stringify(dictionary.entries)) as StateVersion['fields'][];
    expect(entityVersions('account#u1', line, written)).toEqual([...state.values()]);
    expect(Object.isFrozen(written[0])).toBe(true);

    const full = new FieldsDictionary(Array.from({ length: 65_536 }, (_, i) => ({ n: String(i) })));
    expect(JSON.parse(stateLine('account#u1', state, full))).toEqual({
      entity: 'account#u1',
      versions: [['e1', 1, { country: 'FR' }], ['e2', 2, { country: 'SE' }], ['e3', 3, { country: 'FR' }]],
    });
  });

  it('keeps the numbers of the dictionary it starts from, even an entry written twice', () => {
    // Lines copied from the old file hold these numbers: each must still name the same fields.
    const old = [{ country: 'SE' }, { country: 'SE' }, { country: 'FR' }];

    const dictionary = new FieldsDictionary(old);

    expect(dictionary.entries).toEqual(old);
    expect(dictionary.idOf({ country: 'FR' })).toBe(2);
    expect(dictionary.idOf({ country: 'DE' })).toBe(3);
  });

  it('says what is wrong with a state line, and refuses another entity\'s', () => {
    expect(entityVersions('account#u1', '{"entity":"account#u2","versions":[]}\n', [])).toMatch(/state line of account#u2/);
    expect(entityVersions('account#u1', '{"entity":"account#u1","versions":[["e1","x",{}]]}\n', [])).toMatch(/version 1: expected/);
    expect(entityVersions('account#u1', '{"entity":"account#u1","versions":[["e1",1,{},"y"]]}\n', [])).toMatch(/foldedSince must be a number/);
    expect(entityVersions('account#u1', '{"entity":"account#u1","versions":[["e1",1,{"a":2}]]}\n', [])).toMatch(/version 1: expected/);
    expect(entityVersions('account#u1', '{"entity":"account#u1","versions":[["e1",1,3]]}\n', [{}])).toMatch(/version 1: expected .*fields dictionary/);
    expect(entityVersions('account#u1', `${toLogLine({ entity: 'account#u2', version: { eventUuid: 'e', createdAt: 1, fields: {} } })}`, [])).toMatch(/account#u2 among account#u1/);
  });
});

describe('entityOfLine', () => {
  it('reads the entity of a line as toLogLine writes it, and of any other valid line', () => {
    const version = { eventUuid: 'e1', createdAt: 1, fields: {} };
    expect(entityOfLine(toLogLine({ entity: 'account#u1', version }))).toBe('account#u1');
    expect(entityOfLine(toLogLine({ entity: 'odd "name"\\', version }))).toBe('odd "name"\\');
    expect(entityOfLine(JSON.stringify({ eventUuid: 'e1', createdAt: 1, fields: {}, entity: 'late' }))).toBe('late');
    // A state line whose entity needs escapes (a language is any text) is parsed, not misread.
    const state = new Map([['e1', version]]);
    expect(entityOfLine(stateLine('subscription#u1#e"s\\', state, new FieldsDictionary([])).slice(0, -1))).toBe('subscription#u1#e"s\\');
    expect(entityOfLine('{"entity":1}')).toBeUndefined();
    expect(entityOfLine('not json')).toBeUndefined();
  });
});
