import { fstatSync, readSync } from 'node:fs';
import type { EntityKey } from '../../ports/state-store';
import { parseFieldsDictionary, type Fields } from './version-lines';

/**
 * The index at the end of the sorted state file (`versions.sorted.ndjson`, sorted-versions.ts): for every
 * entity, where its lines are, so a lookup reads exactly those bytes instead of searching the file.
 *
 * Why: a lookup by binary search over the lines cost ~12 µs per entity at 3M events (probing, decoding the
 * probed lines, sorting the keys asked for) and kept growing with the file, and the slice workers ask for
 * every lesson's user: at 3M events 13 s of each worker's CPU went to it (docs/performance.md).
 *
 * Layout of the file: the NDJSON lines (the data), then the fields dictionary, then the index, then a 40-byte
 * trailer:
 * - fields dictionary: one JSON line, an array of the `fields` objects the state lines refer to by position
 *   (version-lines.ts, `FieldsDictionary`);
 * - index: five columns of `count` values, native little-endian: in file order, the byte offset of each
 *   entity's first line (float64, exact up to 2^53) and the byte length of its lines (uint32); in hash
 *   order, hash A and hash B of the entity (uint32 each) and its row in file order (uint32).
 * - trailer: `TRAILER_MAGIC` (8 bytes, starts with a NUL byte no NDJSON text has), where the data ends
 *   (the dictionary starts), where the index starts and the row count (float64 each), 8 random bytes naming
 *   this file's version (what a reader's cache is
 *   keyed by: the file is only ever replaced whole).
 * A file without the trailer (written before the index existed) is read by indexing its lines once per
 * instance and version of the file (`indexLines`); the next compaction writes it with its index.
 */

const TRAILER_MAGIC = Buffer.from('\0ELSIDX2', 'latin1');
const TRAILER_BYTES = 40;
/** Bytes per index row: offset (8), length, hash A, hash B, row of the hash (4 each). */
const ROW_BYTES = 24;

/** Two 32-bit multiplicative hashes (FNV-1a and a variant) of the entity's UTF-16 code units: 64 bits; collisions are still handled (SortedVersionsReader). */
export function entityHash(entity: string): readonly [number, number] {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < entity.length; i++) {
    const code = entity.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x01000193) ^ (b >>> 15);
  }
  return [a >>> 0, b >>> 0];
}

/** Collects each entity's span, in file order, while the file is written (or a file without index is read). */
export class IndexBuilder {
  private hashA = new Uint32Array(1024);
  private hashB = new Uint32Array(1024);
  private offsets = new Float64Array(1024);
  private lengths = new Uint32Array(1024);
  private count = 0;

  add(entity: EntityKey, offset: number, length: number): void {
    if (this.count === this.hashA.length) this.grow();
    const [a, b] = entityHash(entity);
    this.hashA[this.count] = a;
    this.hashB[this.count] = b;
    this.offsets[this.count] = offset;
    this.lengths[this.count] = length;
    this.count += 1;
  }

  /** The index of a file whose data is `dataEnd` bytes, for lookups in memory. */
  build(dataEnd: number, fields: readonly Fields[], id: string): SortedIndex {
    const n = this.count;
    const rowOf = new Uint32Array(n);
    for (let row = 0; row < n; row++) rowOf[row] = row;
    const { hashA, hashB } = this;
    rowOf.sort((x, y) => (hashA[x] as number) - (hashA[y] as number) || (hashB[x] as number) - (hashB[y] as number));
    const sortedA = new Uint32Array(n);
    const sortedB = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      sortedA[i] = hashA[rowOf[i] as number] as number;
      sortedB[i] = hashB[rowOf[i] as number] as number;
    }
    return new SortedIndex(this.offsets.slice(0, n), this.lengths.slice(0, n), sortedA, sortedB, rowOf, dataEnd, fields, id);
  }

  /** The dictionary, the index and the trailer, as written after `dataEnd` bytes of data. */
  toBytes(dataEnd: number, fields: readonly Fields[], id: Buffer): Buffer {
    const dictionary = Buffer.from(`${JSON.stringify(fields)}\n`);
    const index = this.build(dataEnd, fields, id.toString('hex'));
    const n = this.count;
    const out = Buffer.alloc(dictionary.length + n * ROW_BYTES + TRAILER_BYTES);
    let at = dictionary.copy(out, 0);
    for (const column of index.columns()) at += Buffer.from(column.buffer, column.byteOffset, column.byteLength).copy(out, at);
    TRAILER_MAGIC.copy(out, at);
    out.writeDoubleLE(dataEnd, at + 8);
    out.writeDoubleLE(dataEnd + dictionary.length, at + 16);
    out.writeDoubleLE(n, at + 24);
    id.copy(out, at + 32, 0, 8);
    return out;
  }

  private grow(): void {
    const size = this.hashA.length * 2;
    const grown = <T extends Uint32Array | Float64Array>(column: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(column);
      return next;
    };
    this.hashA = grown(this.hashA, (n) => new Uint32Array(n));
    this.hashB = grown(this.hashB, (n) => new Uint32Array(n));
    this.offsets = grown(this.offsets, (n) => new Float64Array(n));
    this.lengths = grown(this.lengths, (n) => new Uint32Array(n));
  }
}

/**
 * A file's index in memory, ~24 bytes per entity (6 MB for the 262k entities of 10M events). Rows are
 * numbered in file order (row r's lines come before row r+1's), so sorting row numbers sorts reads by
 * position; the hash columns are in hash order, with the row each hash belongs to.
 */
export class SortedIndex {
  constructor(
    /** By row: where the entity's lines start, and their bytes. */
    readonly offsets: Float64Array,
    readonly lengths: Uint32Array,
    /** In hash order: the hashes, and the row of each. */
    private readonly hashA: Uint32Array,
    private readonly hashB: Uint32Array,
    private readonly rowOf: Uint32Array,
    /** Bytes of NDJSON lines at the start of the file; the dictionary, index and trailer follow. */
    readonly dataEnd: number,
    /** The fields dictionary: what a state line's fields number stands for. */
    readonly fields: readonly Fields[],
    /** Names this version of the file (its trailer's id, or what identifies a file without one). */
    readonly id: string,
  ) {}

  /** Pushes the rows whose hash is the entity's onto `rows`: its own (if it has lines), and any colliding entity's. */
  rowsOf(entity: EntityKey, rows: number[]): void {
    const [a, b] = entityHash(entity);
    let low = 0;
    let high = this.hashA.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const ma = this.hashA[mid] as number;
      if (ma < a || (ma === a && (this.hashB[mid] as number) < b)) low = mid + 1;
      else high = mid;
    }
    for (let i = low; i < this.hashA.length && this.hashA[i] === a && this.hashB[i] === b; i++) rows.push(this.rowOf[i] as number);
  }

  /** The columns in the order written: offsets, lengths, hash A, hash B, row of each hash. */
  columns(): readonly (Uint32Array | Float64Array)[] {
    return [this.offsets, this.lengths, this.hashA, this.hashB, this.rowOf];
  }
}

/** What the end of an open sorted file says: its index, or that it has none (`dataEnd` is then its size). */
export type SortedLayout =
  | { readonly indexed: true; readonly id: string; readonly dataEnd: number; readonly indexStart: number; readonly count: number; readonly size: number }
  | { readonly indexed: false; readonly id: string; readonly dataEnd: number; readonly size: number };

/** Reads the trailer of the open file `fd`; `corrupt` names what is wrong with a trailer that does not add up. */
export function readLayout(fd: number, corrupt: (problem: string) => Error): SortedLayout {
  const { size, ino, mtimeMs } = fstatSync(fd);
  if (size >= TRAILER_BYTES) {
    const trailer = Buffer.alloc(TRAILER_BYTES);
    readFully(fd, trailer, size - TRAILER_BYTES, corrupt);
    if (trailer.subarray(0, 8).equals(TRAILER_MAGIC)) {
      const dataEnd = trailer.readDoubleLE(8);
      const indexStart = trailer.readDoubleLE(16);
      const count = trailer.readDoubleLE(24);
      const whole = [dataEnd, indexStart, count].every(Number.isInteger);
      if (!whole || dataEnd >= indexStart || indexStart + count * ROW_BYTES + TRAILER_BYTES !== size) {
        throw corrupt(`its index trailer says ${count} entities indexed from byte ${indexStart}, after ${dataEnd} bytes of lines, but the file has ${size}`);
      }
      return { indexed: true, id: trailer.toString('hex', 32, 40), dataEnd, indexStart, count, size };
    }
  }
  return { indexed: false, id: `unindexed:${ino}:${size}:${mtimeMs}`, dataEnd: size, size };
}

/** Loads the index of an indexed file. */
export function readIndex(fd: number, layout: SortedLayout & { indexed: true }, corrupt: (problem: string) => Error): SortedIndex {
  const n = layout.count;
  // One ArrayBuffer; each column starts at a multiple of its element size (offsets first, at 0).
  const buffer = new ArrayBuffer(n * ROW_BYTES);
  readFully(fd, new Uint8Array(buffer), layout.indexStart, corrupt);
  const u32 = (at: number) => new Uint32Array(buffer, at * n, n);
  const dictionary = Buffer.alloc(layout.indexStart - layout.dataEnd);
  readFully(fd, dictionary, layout.dataEnd, corrupt);
  const fields = parseFieldsDictionary(dictionary.toString('utf8'));
  if (typeof fields === 'string') throw corrupt(`its fields dictionary: ${fields}`);
  return new SortedIndex(new Float64Array(buffer, 0, n), u32(8), u32(12), u32(16), u32(20), layout.dataEnd, fields, layout.id);
}

export function readFully(fd: number, into: Uint8Array, position: number, corrupt: (problem: string) => Error): void {
  for (let done = 0; done < into.length; ) {
    const read = readSync(fd, into, done, into.length - done, position + done);
    if (read === 0) throw corrupt(`shorter than expected at byte ${position + done}`);
    done += read;
  }
}
