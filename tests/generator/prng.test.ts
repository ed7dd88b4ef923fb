import { Prng } from '../../src/generator/prng';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function draws(prng: Prng, n: number): number[] {
  return Array.from({ length: n }, () => prng.uint32());
}

describe('Prng', () => {
  it('gives the same sequence for the same seed and stream', () => {
    // Prepare
    const a = new Prng(42, 1);
    const b = new Prng(42, 1);

    // Act
    const first = draws(a, 100);
    const second = draws(b, 100);

    // Assess
    expect(first).toEqual(second);
  });

  it('gives different sequences for different seeds and for different streams of one seed', () => {
    // Prepare
    const base = draws(new Prng(42, 1), 8);

    // Act
    const otherSeed = draws(new Prng(43, 1), 8);
    const otherStream = draws(new Prng(42, 2), 8);

    // Assess
    expect(otherSeed).not.toEqual(base);
    expect(otherStream).not.toEqual(base);
  });

  it('accepts negative seeds and seeds above 2^32 as distinct seeds', () => {
    // Prepare
    const seeds = [0, -1, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER];

    // Act
    const firstDraws = seeds.map((seed) => new Prng(seed).uint32());

    // Assess
    expect(new Set(firstDraws).size).toBe(seeds.length);
  });

  it('rejects a seed that is not a safe integer', () => {
    // Prepare
    const bad = [1.5, Number.NaN, 2 ** 60];

    // Act
    const attempts = bad.map((seed) => () => new Prng(seed));

    // Assess
    for (const attempt of attempts) expect(attempt).toThrow(RangeError);
  });

  it('draws floats in [0, 1) and ints in [0, n) spread over the whole range', () => {
    // Prepare
    const prng = new Prng(7);
    const buckets = new Array<number>(10).fill(0);

    // Act
    for (let i = 0; i < 100_000; i++) {
      const x = prng.float();
      if (x < 0 || x >= 1) throw new Error(`float out of range: ${x}`);
      buckets[prng.int(10)]!++;
    }

    // Assess
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it('makes distinct lower-case version-4 UUIDs', () => {
    // Prepare
    const prng = new Prng(1);

    // Act
    const uuids = Array.from({ length: 50_000 }, () => prng.uuid());

    // Assess
    expect(uuids.every((u) => UUID_V4.test(u))).toBe(true);
    expect(new Set(uuids).size).toBe(uuids.length);
  });

  it('makes hex strings of the requested length', () => {
    // Prepare
    const prng = new Prng(1);

    // Act
    const hex = [1, 8, 12, 16, 21].map((n) => prng.hex(n));

    // Assess
    expect(hex.map((h) => h.length)).toEqual([1, 8, 12, 16, 21]);
    expect(hex.every((h) => /^[0-9a-f]+$/.test(h))).toBe(true);
  });
});
