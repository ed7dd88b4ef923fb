import fc from 'fast-check';
import {
  applyVersions,
  cutFieldValue,
  foldLimits,
  MAX_FIELD_VALUE_BYTES,
  numberBytes,
  storedVersion,
  versionEntryBytes,
  versionsMapBytes,
  type FoldLimits,
} from '../../src/adapters/version-fold';
import { EntityTimeline } from '../../src/pipeline/user-state';
import { FOLDED_BASE_UUID, type StateVersion } from '../../src/ports/state-store';

const DAY = 86_400;
const limits = foldLimits();

function v(eventUuid: string, createdAt: number, fields: Record<string, string> = {}): StateVersion {
  return { eventUuid, createdAt, fields };
}

function uuids(versions: readonly StateVersion[]): string[] {
  return versions.map((version) => version.eventUuid);
}

describe('numberBytes', () => {
  /** DynamoDB's size of a number, from its text: significant digits (no sign, dot, exponent, leading or trailing zeros). */
  function fromText(n: number): number {
    const mantissa = String(Math.abs(n)).split('e')[0] ?? '';
    const digits = mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length;
    if (digits === 0) return 1;
    return 1 + Math.ceil((digits + 1) / 2) + (n < 0 ? 1 : 0);
  }

  it.each([
    [0, 1], [7, 2], [-7, 3], [100, 2], [1712511721, 7], [1712511721.022075, 10], [0.000123, 3], [1e21, 2], [1.5e-7, 3], [-1.25e30, 4],
  ])('measures %p as %p bytes', (n, bytes) => {
    expect(numberBytes(n)).toBe(bytes);
  });

  it('agrees with the measure from the number\'s text for any double', () => {
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => numberBytes(n) === fromText(n)), { numRuns: 20_000 });
  });
});

describe('versionEntryBytes', () => {
  it('remembers a measure per version object, not per uuid: two versions of one uuid measure their own content', () => {
    const a = v('a', 1712511721.022075, { country: 'PT' });
    const b = v('a', 1712511721.022075, { country: 'PTX' });

    const first = versionEntryBytes(a);

    expect(versionEntryBytes(a)).toBe(first);
    expect(versionEntryBytes(b)).toBe(first + 1);
  });
});

describe('cutFieldValue', () => {
  it('keeps values of up to 1 KiB of UTF-8 as they are', () => {
    expect(cutFieldValue('FR')).toBe('FR');
    const exact = 'a'.repeat(MAX_FIELD_VALUE_BYTES - 2) + '\u00e9';
    expect(cutFieldValue(exact)).toBe(exact);
  });

  it.each([
    ['ASCII', 'a', 1],
    ['2-byte', '\u00e9', 2],
    ['3-byte', '\u20ac', 3],
    ['4-byte (surrogate pairs)', '\ud83d\ude00', 4],
  ])('cuts %s text at the last whole character within 1 KiB', (_kind, char, bytes) => {
    const cut = cutFieldValue(`x${char.repeat(5000)}`);

    // 'x' then as many whole characters as fit in the other 1023 bytes.
    expect(cut).toBe(`x${char.repeat(Math.floor((MAX_FIELD_VALUE_BYTES - 1) / bytes))}`);
    expect(Buffer.byteLength(cut, 'utf8')).toBeLessThanOrEqual(MAX_FIELD_VALUE_BYTES);
  });

  it('is what storedVersion applies to every field, on a copy', () => {
    const fields = { country: 'y'.repeat(200 * 1024), plan: 'monthly' };
    const stored = storedVersion(v('e1', 1, fields));

    expect(stored.fields).toEqual({ country: 'y'.repeat(MAX_FIELD_VALUE_BYTES), plan: 'monthly' });
    expect(stored.fields).not.toBe(fields);
  });
});

describe('applyVersions', () => {
  it('folds versions older than the newest minus the horizon into one base', () => {
    const result = applyVersions(
      [],
      [
        v('a', 0, { country: 'FR', plan: 'free' }),
        v('b', DAY, { country: 'DE' }),
        v('c', 2 * DAY, { plan: 'paid' }),
        v('d', 8 * DAY + 1, { country: 'ES' }),
      ],
      limits,
    );

    expect(result.versions).toEqual([
      {
        eventUuid: FOLDED_BASE_UUID,
        createdAt: DAY,
        fields: { country: 'DE', plan: 'free' },
        foldedSince: 0,
      },
      v('c', 2 * DAY, { plan: 'paid' }),
      v('d', 8 * DAY + 1, { country: 'ES' }),
    ]);
    expect(result.changed).toBe(true);
    expect(uuids(result.added)).toEqual(['c', 'd']);
    expect(result.newBase?.createdAt).toBe(DAY);
  });

  it('keeps a version exactly at the horizon', () => {
    const result = applyVersions([], [v('a', 0), v('b', 7 * DAY)], limits);

    expect(uuids(result.versions)).toEqual(['a', 'b']);
    expect(result.newBase).toBeUndefined();
  });

  it('folds a run of equal createdAt whole, never splitting it', () => {
    const capped: FoldLimits = { ...limits, maxVersions: 3 };

    const result = applyVersions([], [v('a', 1), v('b', 2), v('c', 2), v('d', 2), v('e', 3)], capped);

    // Dropping 2 would split the run at 2: all of it goes.
    expect(uuids(result.versions)).toEqual([FOLDED_BASE_UUID, 'e']);
    expect(result.versions[0]).toMatchObject({ createdAt: 2, foldedSince: 1 });
  });

  it('folds the oldest beyond the version cap', () => {
    const capped: FoldLimits = { ...limits, maxVersions: 2 };

    const result = applyVersions([], [v('a', 1, { x: '1' }), v('b', 2), v('c', 3), v('d', 4)], capped);

    expect(uuids(result.versions)).toEqual([FOLDED_BASE_UUID, 'c', 'd']);
    expect(result.versions[0]?.fields).toEqual({ x: '1' });
  });

  it('folds the oldest while the map is over the byte budget', () => {
    const many = Array.from({ length: 100 }, (_, i) =>
      v(`e${String(i).padStart(3, '0')}`, i, { c: 'z'.repeat(100) }),
    );
    const budget: FoldLimits = { ...limits, maxBytes: 5000 };

    const result = applyVersions([], many, budget);

    expect(versionsMapBytes(result.versions)).toBeLessThanOrEqual(5000);
    expect(versionsMapBytes(result.versions)).toBeGreaterThan(5000 - 200);
    expect(result.versions.at(-1)?.eventUuid).toBe('e099');
  });

  it('drops the largest base fields when the base alone is over budget', () => {
    const wide = v(
      'a',
      1,
      Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`f${i}`, 'w'.repeat(100 + i)])),
    );
    const budget: FoldLimits = { ...limits, maxBytes: 1000 };

    const result = applyVersions([], [wide, v('b', 2)], budget);

    expect(versionsMapBytes(result.versions)).toBeLessThanOrEqual(1000);
    expect(result.versions).toHaveLength(1);
    expect(Object.keys(result.versions[0]?.fields ?? {})).toContain('f0');
    expect(Object.keys(result.versions[0]?.fields ?? {})).not.toContain('f15');
  });

  it('drops a version at or before the base, and one whose uuid is kept (first wins)', () => {
    const current = [
      { eventUuid: FOLDED_BASE_UUID, createdAt: 100, fields: { country: 'DE' }, foldedSince: 50 },
      v('k', 200, { country: 'FR' }),
    ];

    const result = applyVersions(
      current,
      [v('old', 100, { country: 'IT' }), v('k', 300, { country: 'US' })],
      limits,
    );

    expect(result.changed).toBe(false);
    expect(result.versions).toEqual(current);
  });

  it('changes nothing when applied again to its own result', () => {
    const first = applyVersions(
      [],
      Array.from({ length: 50 }, (_, i) => v(`e${i}`, i * DAY, { n: `${i}` })),
      limits,
    );

    const again = applyVersions(first.versions, [], limits);

    expect(again.changed).toBe(false);
    expect(again.versions).toEqual(first.versions);
  });

  it('answers every lesson within the horizon exactly, whatever the batching (property)', () => {
    const small: FoldLimits = { horizonSeconds: 50, maxVersions: 1000, maxBytes: 1_000_000 };
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 60, maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 60, maxLength: 60 }),
        (times, fieldNames, batchSizes) => {
          const all = [...times]
            .sort((a, b) => a - b)
            .map((t, i) => v(`u${i}`, t, { [fieldNames[i] ?? 'a']: `${i}` }));
          let stored: readonly StateVersion[] = [];
          for (let i = 0, b = 0; i < all.length; b += 1) {
            const size = batchSizes[b] ?? 1;
            // Shuffled within a batch: arrival order inside a call does not matter.
            stored = applyVersions(stored, all.slice(i, i + size).reverse(), small).versions;
            i += size;
          }
          const exact = new EntityTimeline(all);
          const timeline = new EntityTimeline(stored);
          const newest = all[all.length - 1]?.createdAt ?? 0;
          for (let t = newest - small.horizonSeconds; t <= newest + 1; t += 0.5) {
            expect(timeline.asOf(t)).toEqual(exact.asOf(t));
          }
        },
      ),
    );
  });
});

describe('EntityTimeline with a folded base', () => {
  const base = { eventUuid: FOLDED_BASE_UUID, createdAt: 100, fields: { country: 'DE' }, foldedSince: 40 };

  it('applies the base from foldedSince, and nothing before', () => {
    const timeline = new EntityTimeline([v('k', 200, { country: 'FR' }), base]);

    expect(timeline.asOf(39.9)).toBeUndefined();
    expect(timeline.asOf(40)).toEqual({ country: 'DE' });
    expect(timeline.asOf(150)).toEqual({ country: 'DE' });
    expect(timeline.asOf(200)).toEqual({ country: 'FR' });
  });
});
