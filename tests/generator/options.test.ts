import { ErrorNames } from '../../src/errors';
import { generate, type GenerateOptions } from '../../src/generator/generate';
import { MemoryObjectStore } from './memory-object-store';

const VALID: GenerateOptions = { events: 1000, start: new Date('2024-04-07T10:00:00Z'), hours: 1, seed: 1 };

describe('generate: options', () => {
  it.each<[string, Partial<GenerateOptions>, RegExp]>([
    ['zero events', { events: 0 }, /events must be a positive integer/],
    ['fractional events', { events: 1.5 }, /events must be a positive integer/],
    ['an invalid start', { start: new Date('nope') }, /start must be a valid Date/],
    [
      'a start before 2000',
      { start: new Date('1999-12-31T23:00:00Z') },
      /start must be on or after 2000-01-01/,
    ],
    ['zero hours', { hours: 0 }, /hours must be a positive number/],
    ['a fractional seed', { seed: 0.5 }, /seed must be a safe integer/],
    ['a duplicate rate above 1', { duplicateRate: 1.5 }, /duplicateRate must be a number in \[0, 1\]/],
    ['a negative malformed rate', { malformedRate: -0.1 }, /malformedRate must be a number in \[0, 1\]/],
    ['a stream name with a slash', { streamName: 'a/b' }, /streamName must be 1-64 characters/],
    ['a zero buffer size', { objectMaxBytes: 0 }, /objectMaxBytes must be a positive integer/],
    ['a zero buffer interval', { objectMaxSeconds: 0 }, /objectMaxSeconds must be a positive number/],
  ])(
    'rejects %s with an InvalidInput error naming the option, before writing anything',
    async (_label, override, message) => {
      // Prepare
      const store = new MemoryObjectStore();

      // Act
      const attempt = generate(store, { ...VALID, ...override });

      // Assess
      await expect(attempt).rejects.toMatchObject({
        name: ErrorNames.InvalidInput,
        message: expect.stringMatching(message) as unknown,
      });
      expect(store.objects.size).toBe(0);
    },
  );

  it('applies the documented defaults: 1 % duplicates, 0.1 % malformed, gzip, stream eventlake-raw', async () => {
    // Prepare
    const store = new MemoryObjectStore();

    // Act
    const summary = await generate(store, { ...VALID, events: 10_000 });

    // Assess
    expect(summary.exactDuplicates).toBe(100);
    expect(summary.malformed).toBe(10);
    expect(summary.blankLines).toBe(1);
    expect(store.sortedKeys().every((k) => /\/eventlake-raw-1-.*\.gz$/.test(k))).toBe(true);
  });

  it('reports progress about every 50,000 events and once at the end', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const reports: { events: number; objects: number }[] = [];

    // Act
    const summary = await generate(store, { ...VALID, events: 120_000, onProgress: (p) => reports.push(p) });

    // Assess
    expect(reports.map((r) => r.events)).toEqual([50_000, 100_000, 120_000]);
    expect(reports[reports.length - 1]!.objects).toBe(summary.objects);
    expect(reports[0]!.objects).toBeLessThanOrEqual(reports[1]!.objects);
  });
});
