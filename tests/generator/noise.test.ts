import { OBJECT_REASONS, QUARANTINE_REASONS } from '../../src/contract/reasons';
import { generate, type GenerateOptions, type GenerateSummary } from '../../src/generator/generate';
import { MALFORMED_CLASSES } from '../../src/generator/malformed';
import { MemoryObjectStore, readLines, type RawLine } from './memory-object-store';

/**
 * An independent reading of docs/reliability.md#bad-input, line by line, in arrival order: what a
 * correct pipeline does with each line. The generator's summary must agree with it.
 */
type Verdict = 'blank' | 'valid' | 'exact_duplicate' | (typeof QUARANTINE_REASONS)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';
const EVENT_NAME = /^[a-z0-9_]+(:[a-z0-9_]+)+$/;
// Lone surrogates, or NUL.
// eslint-disable-next-line no-control-regex
const BAD_CHARACTERS = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|\u0000/;
const YEAR_2000 = 946_684_800;
const MAX_BYTES = 256 * 1024;

/** Whether objects/arrays nest deeper than `limit` (iterative: a 5,000-deep line must not blow the stack). */
function deeperThan(root: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [value, level] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (level > limit) return true;
    for (const child of Object.values(value)) stack.push([child, level + 1]);
  }
  return false;
}

function hasBadCharacters(value: unknown): boolean {
  if (typeof value === 'string') return BAD_CHARACTERS.test(value);
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(hasBadCharacters);
  return Object.entries(value).some(([k, v]) => BAD_CHARACTERS.test(k) || hasBadCharacters(v));
}

/** The keys of the top-level object of a valid JSON text, duplicates included, read from the text itself. */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let level = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (level === 1 && /^\s*:/.test(text.slice(j + 1, j + 10)))
        keys.push(JSON.parse(text.slice(i, j + 1)) as string);
      i = j;
    } else if (c === '{' || c === '[') level++;
    else if (c === '}' || c === ']') level--;
  }
  return keys;
}

/** Firehose key time (first arrival) of an object. */
function keySeconds(key: string): number {
  const m = /-1-(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-/.exec(key)!;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000;
}

function judge(line: RawLine, latestArrival: number, seen: Map<string, string>): Verdict {
  if (line.bytes.length === 0) return 'blank';
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(line.bytes);
  } catch {
    return 'invalid_utf8';
  }
  if (line.bytes.length > MAX_BYTES) return 'too_large';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not_json';
  }
  if (deeperThan(value, 32)) return 'too_deep';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not_an_object';
  const keys = topLevelKeys(text);
  if (new Set(keys).size !== keys.length) return 'duplicate_key';
  if (keys.includes('__proto__') || keys.includes('constructor')) return 'forbidden_key';
  if (hasBadCharacters(value)) return 'invalid_characters';
  const event = value as Record<string, unknown>;
  const { event_uuid: uuid, event_name: name, created_at: createdAt } = event;
  if (uuid == null || name == null || createdAt == null) return 'missing_field';
  if (typeof uuid !== 'string' || !UUID.test(uuid) || uuid === NIL_UUID) return 'invalid_uuid';
  if (typeof name !== 'string' || !EVENT_NAME.test(name)) return 'invalid_event_name';
  if (
    typeof createdAt !== 'number' ||
    !Number.isFinite(createdAt) ||
    createdAt < YEAR_2000 ||
    createdAt > 1e11
  )
    return 'invalid_created_at';
  if (createdAt > latestArrival + 86_400) return 'invalid_created_at';
  if (name.startsWith('lesson:') && typeof event.user_uuid !== 'string') return 'invalid_payload';
  const earlier = seen.get(uuid.toLowerCase());
  if (earlier === undefined) {
    seen.set(uuid.toLowerCase(), text);
    return 'valid';
  }
  return earlier === text ? 'exact_duplicate' : 'duplicate_conflict';
}

function judgeAll(store: MemoryObjectStore, objectMaxSeconds: number): Map<Verdict, number> {
  const seen = new Map<string, string>();
  const counts = new Map<Verdict, number>();
  for (const line of readLines(store)) {
    // No line of an object arrives later than its key time + the buffer interval.
    const verdict = judge(line, keySeconds(line.key) + 1 + objectMaxSeconds, seen);
    counts.set(verdict, (counts.get(verdict) ?? 0) + 1);
  }
  return counts;
}

const NOISY: GenerateOptions = {
  events: 20_000,
  start: new Date('2024-04-07T22:30:00Z'),
  hours: 1,
  seed: 99,
  duplicateRate: 0.02,
  malformedRate: 0.01,
  blankRate: 0.001,
  objectMaxBytes: 512 * 1024,
};

describe('generate: duplicates, malformed and blank lines', () => {
  let store: MemoryObjectStore;
  let summary: GenerateSummary;

  beforeAll(async () => {
    store = new MemoryObjectStore();
    summary = await generate(store, NOISY);
  });

  it('adds exactly the requested numbers of extra lines', () => {
    // Prepare
    const { events, duplicateRate, malformedRate, blankRate } = NOISY;

    // Act
    const { validEvents, exactDuplicates, malformed, blankLines, lines } = summary;

    // Assess
    expect({ validEvents, exactDuplicates, malformed, blankLines }).toEqual({
      validEvents: events,
      exactDuplicates: Math.round(events * duplicateRate!),
      malformed: Math.round(events * malformedRate!),
      blankLines: Math.round(events * blankRate!),
    });
    expect(lines).toBe(validEvents + exactDuplicates + malformed + blankLines);
  });

  it('writes as many lines as the summary counts', () => {
    // Prepare
    const lines = readLines(store);

    // Act
    const count = lines.length;

    // Assess
    expect(count).toBe(summary.lines);
    expect(new Set(lines.map((l) => l.key)).size).toBe(summary.objects);
  });

  it('labels every malformed line with the reason a correct pipeline gives, and nothing else is rejected', () => {
    // Prepare
    const expected = new Map<string, number>([
      ['valid', summary.validEvents],
      ['exact_duplicate', summary.exactDuplicates],
      ['blank', summary.blankLines],
      ...Object.entries(summary.malformedByReason),
    ]);

    // Act
    const verdicts = judgeAll(store, 300);

    // Assess
    expect(Object.fromEntries([...verdicts].sort())).toEqual(Object.fromEntries([...expected].sort()));
  });

  it('produces every line-level class of the bad-input table, each variant at least once', () => {
    // Prepare
    const objectReasons: readonly string[] = OBJECT_REASONS;
    const lineReasons = QUARANTINE_REASONS.filter((r) => !objectReasons.includes(r));

    // Act
    const variants = Object.keys(summary.malformedByVariant);

    // Assess
    expect(Object.keys(summary.malformedByReason).sort()).toEqual([...lineReasons].sort());
    const all = MALFORMED_CLASSES.flatMap((c) => c.variants.map((v) => `${c.reason}/${v.name}`));
    expect(variants.sort()).toEqual(all.sort());
  });

  it('writes duplicates both into the object of their original and into later objects', () => {
    // Prepare
    const firstObjectOf = new Map<string, string>();
    let sameObject = 0;
    let laterObject = 0;

    // Act
    for (const line of readLines(store)) {
      const text = line.bytes.toString('utf8');
      if (!text.startsWith('{"event_uuid":"')) continue;
      const first = firstObjectOf.get(text);
      if (first === undefined) firstObjectOf.set(text, line.key);
      else if (first === line.key) sameObject++;
      else laterObject++;
    }

    // Assess
    expect(sameObject).toBe(summary.duplicatesSameObject);
    expect(laterObject).toBe(summary.duplicatesLaterObject);
    expect(sameObject).toBeGreaterThan(0);
    expect(laterObject).toBeGreaterThan(0);
  });

  it('keeps the valid traffic unchanged when only the noise rates change', async () => {
    // Prepare
    const clean = new MemoryObjectStore();

    // Act
    await generate(clean, { ...NOISY, duplicateRate: 0, malformedRate: 0, blankRate: 0 });

    // Assess
    const validLines = (s: MemoryObjectStore) => {
      const seen = new Set<string>();
      for (const line of readLines(s)) {
        const text = line.bytes.toString('utf8');
        if (judge(line, Number.POSITIVE_INFINITY, new Map()) === 'valid') seen.add(text);
      }
      return seen;
    };
    const noisy = validLines(store);
    const plain = validLines(clean);
    expect(plain.size).toBe(NOISY.events);
    expect([...plain].every((line) => noisy.has(line))).toBe(true);
  });
});
