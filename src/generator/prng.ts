/**
 * A small, fast, seedable PRNG: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state,
 * passes PractRand to 2^40+ bytes), seeded through splitmix32. Everything the generator draws comes from
 * here, so the same seed gives the same bytes on every machine; Math.random and crypto are never used.
 */

const HEX_CODES: readonly number[] = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const HYPHEN = 0x2d;
const TWO_POW_32 = 4294967296;
/** Scratch for building strings in one native call: a flat string, not a tree of concatenations. */
const uuidCodes: number[] = new Array<number>(36).fill(HYPHEN);
const hexCodes: number[] = new Array<number>(8).fill(0);
/** Where the 32 hex digits of a UUID go (the others are hyphens). */
const UUID_HEX_POSITIONS: readonly number[] = Array.from({ length: 36 }, (_, i) => i).filter(
  (i) => ![8, 13, 18, 23].includes(i),
);

/** Writes the 8 hex digits of `word` into `codes` from `at`. */
function putHex8(codes: number[], at: number, word: number): void {
  for (let i = 7; i >= 0; i--) {
    codes[at + i] = HEX_CODES[word & 15]!;
    word >>>= 4;
  }
}

/** 8 lower-case hex digits of a uint32, zero-padded. */
export function toHex8(n: number): string {
  putHex8(hexCodes, 0, n >>> 0);
  return String.fromCharCode.apply(null, hexCodes);
}

/** splitmix32: spreads a weak seed (0, 1, 2 ...) over the whole 32-bit space. */
function splitmix32(state: number): { state: number; value: number } {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return { state: next, value: z >>> 0 };
}

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /**
   * @param seed any safe integer (negative and > 2^32 included: both halves are mixed in).
   * @param stream independent sub-stream of the same seed, so one concern's draws never shift another's.
   */
  constructor(seed: number, stream = 0) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`Prng: seed must be a safe integer, got ${seed}`);
    const high = Math.floor(seed / TWO_POW_32) | 0;
    let state = (seed | 0) ^ Math.imul(high ^ 0x5bd1e995, 0x27d4eb2d) ^ Math.imul(stream + 1, 0x165667b1);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const step = splitmix32(state);
      state = step.state;
      words.push(step.value | 0);
    }
    [this.a, this.b, this.c, this.d] = words as [number, number, number, number];
    for (let i = 0; i < 15; i++) this.uint32();
  }

  /** Next uniformly distributed unsigned 32-bit integer. */
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.uint32() / TWO_POW_32;
  }

  /** Uniform integer in [0, n) for 1 <= n <= 2^32. */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [min, max] (inclusive). */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Prng.pick: empty list');
    return items[this.int(items.length)]!;
  }

  /** A random version-4 UUID, lower case, RFC 9562 variant: xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx. */
  uuid(): string {
    const c = uuidCodes;
    for (let w = 0; w < 4; w++) {
      let word = this.uint32();
      for (let i = w * 8; i < w * 8 + 8; i++) {
        c[UUID_HEX_POSITIONS[i]!] = HEX_CODES[word & 15]!;
        word >>>= 4;
      }
    }
    c[14] = 0x34; // version 4
    c[19] = HEX_CODES[8 + (this.uint32() & 3)]!; // variant 10xx
    return String.fromCharCode.apply(null, c);
  }

  /** `length` random lower-case hex digits. */
  hex(length: number): string {
    const codes = new Array<number>(length);
    for (let i = 0; i < length; i += 8) {
      let word = this.uint32();
      for (let j = i; j < Math.min(i + 8, length); j++) {
        codes[j] = HEX_CODES[word & 15]!;
        word >>>= 4;
      }
    }
    return String.fromCharCode.apply(null, codes);
  }
}
