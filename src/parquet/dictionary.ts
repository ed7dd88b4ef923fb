/**
 * Dictionary encoding of a text column (https://github.com/apache/parquet-format/blob/master/Encodings.md,
 * "Dictionary Encoding" and "Run Length Encoding / Bit-Packing Hybrid"): each distinct value once, PLAIN, in
 * the column chunk's dictionary page; each row as its index into it, in the data page as a bit width (one
 * byte) and the indices in the RLE/bit-packing hybrid.
 */
import { isUtf8 } from 'node:buffer';
import { readUleb128, uleb128 } from './thrift-compact';

/**
 * The distinct values of one column and each row's index. Text is looked up by value; a Buffer by identity
 * first (a caller passes the same Buffer for many rows, e.g. an object key) and by its bytes when it is new.
 * A text and a Buffer holding its UTF-8 share an index.
 * The dictionary only grows: rows dropped by `truncate` may leave values no row uses, which is allowed.
 */
export class TextDictionary {
  private readonly byText = new Map<string, number>();
  private readonly byBytes = new Map<string, number>();
  private readonly byBuffer = new Map<Buffer, number>();
  /** The values, in index order, as UTF-8. */
  readonly values: Buffer[] = [];
  /** Bytes of the values (PLAIN: a 4-byte length before each). */
  valueBytes = 0;
  private indices = new Int32Array(1024);
  private count = 0;
  private lastValue: string | Buffer | undefined;
  private lastIndex = -1;

  /** Rows (non-null values) held. */
  get length(): number {
    return this.count;
  }

  push(value: string | Buffer): void {
    let index = value === this.lastValue ? this.lastIndex : this.lookup(value);
    if (index < 0) index = this.add(value);
    this.lastValue = value;
    this.lastIndex = index;
    if (this.count === this.indices.length) {
      const grown = new Int32Array(this.indices.length * 2);
      grown.set(this.indices);
      this.indices = grown;
    }
    this.indices[this.count++] = index;
  }

  /** Drops every row after the first `count`. */
  truncate(count: number): void {
    if (count > this.count) throw new RangeError(`cannot truncate ${this.count} dictionary rows to ${count}`);
    this.count = count;
  }

  /** Indices of rows [from, to) in the hybrid encoding, after their bit width byte. */
  encodedIndices(from: number, to: number): Buffer {
    return encodeIndices(this.indices.subarray(from, to), bitWidthOf(this.values.length));
  }

  private lookup(value: string | Buffer): number {
    if (typeof value === 'string') return this.byText.get(value) ?? -1;
    const known = this.byBuffer.get(value);
    if (known !== undefined) return known;
    const index = this.byBytes.get(value.toString('latin1'));
    if (index !== undefined) this.byBuffer.set(value, index);
    return index ?? -1;
  }

  private add(value: string | Buffer): number {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
    const index = this.values.length;
    this.values.push(bytes);
    this.valueBytes += 4 + bytes.length;
    // Text finds the bytes it encodes to, bytes find equal bytes (latin1: one character per byte).
    this.byBytes.set(bytes.toString('latin1'), index);
    if (typeof value === 'string') this.byText.set(value, index);
    else {
      this.byBuffer.set(value, index);
      if (isUtf8(bytes)) this.byText.set(bytes.toString('utf8'), index);
    }
    return index;
  }
}

/** Bits per index for a dictionary of `size` values (at least 1). */
export function bitWidthOf(size: number): number {
  let width = 1;
  while (2 ** width < size) width++;
  return width;
}

/**
 * `indices` as one bit-width byte and the hybrid: an RLE run for 8 or more equal indices in a row, bit-packed
 * groups of 8 otherwise (a bit-packed run holds whole groups; only the last run may be padded, its padding
 * past the page's value count is ignored by readers).
 */
export function encodeIndices(indices: Int32Array, width: number): Buffer {
  const out: number[] = [width];
  const n = indices.length;
  let i = 0;
  while (i < n) {
    const run = runLength(indices, i);
    if (run >= 8) {
      out.push(...uleb128(run * 2));
      let value = indices[i] as number;
      for (let b = 0; b < Math.ceil(width / 8); b++, value >>>= 8) out.push(value & 0xff);
      i += run;
      continue;
    }
    const start = i;
    do i += 8;
    while (i < n && runLength(indices, i) < 8);
    const groups = (Math.min(i, n) - start + 7) >> 3;
    out.push(...uleb128(groups * 2 + 1));
    const packed = new Uint8Array(groups * width);
    let bit = 0;
    for (let k = start; k < start + groups * 8; k++, bit += width) {
      const value = k < n ? (indices[k] as number) : 0;
      for (let b = 0; b < width; b++) if ((value >>> b) & 1) packed[(bit + b) >> 3] = (packed[(bit + b) >> 3] as number) | (1 << ((bit + b) & 7));
    }
    for (const byte of packed) out.push(byte);
    i = Math.min(i, n);
  }
  return Buffer.from(out);
}

function runLength(indices: Int32Array, at: number): number {
  const value = indices[at];
  let end = at + 1;
  while (end < indices.length && indices[end] === value) end++;
  return end - at;
}

/** `count` indices from `data` (a bit-width byte, then the hybrid), as encodeIndices writes them. */
export function decodeIndices(data: Buffer, count: number, fail: (why: string) => Error): Int32Array {
  const width = data[0];
  if (width === undefined || width > 32) throw fail(`dictionary indices of bit width ${String(width)}`);
  const out = new Int32Array(count);
  let offset = 1;
  let filled = 0;
  while (filled < count) {
    const read = readUleb128(data, offset);
    if (read === undefined) throw fail('dictionary indices end early');
    offset = read.next;
    if (read.value % 2 === 0) {
      const run = read.value / 2;
      let value = 0;
      for (let b = 0; b < Math.ceil(width / 8); b++) value |= (data[offset + b] as number) << (8 * b);
      offset += Math.ceil(width / 8);
      out.fill(value, filled, Math.min(count, filled + run));
      filled = Math.min(count, filled + run);
    } else {
      const groups = (read.value - 1) / 2;
      if (offset + groups * width > data.length) throw fail('dictionary indices end early');
      for (let k = 0; k < groups * 8 && filled < count; k++) {
        let value = 0;
        for (let b = 0; b < width; b++) {
          const bit = k * width + b;
          value |= (((data[offset + (bit >> 3)] as number) >> (bit & 7)) & 1) << b;
        }
        out[filled++] = value;
      }
      offset += groups * width;
    }
  }
  return out;
}
