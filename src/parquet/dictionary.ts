/**
 * Dictionary encoding of a text column (https://github.com/apache/parquet-format/blob/master/Encodings.md,
 * "Dictionary Encoding" and "Run Length Encoding / Bit-Packing Hybrid"): each distinct value once, PLAIN, in
 * the column chunk's dictionary page; each row as its index into it, in the data page as a bit width (one
 * byte) and the indices in the RLE/bit-packing hybrid.
 */
import { isUtf8 } from 'node:buffer';
import { decodeHybrid, encodeHybrid } from './hybrid';

/**
 * The distinct values of one column and each row's index. Text is looked up by value, a Buffer by its bytes;
 * a value the same as the last row's (the same string or Buffer: an object key on every line of an object)
 * is not looked up at all. A text and a Buffer holding its UTF-8 share an index. What it holds grows with
 * the distinct values, never with the rows.
 * The dictionary only grows: rows dropped by `truncate` may leave values no row uses, which is allowed.
 */
export class TextDictionary {
  private readonly byText = new Map<string, number>();
  private readonly byBytes = new Map<string, number>();
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

  /** The values as a dictionary page holds them: PLAIN, each after its length (4 bytes). */
  plainValues(): Buffer {
    const page = Buffer.allocUnsafe(this.valueBytes);
    let at = 0;
    for (const value of this.values) {
      at = page.writeUInt32LE(value.length, at);
      at += value.copy(page, at);
    }
    return page;
  }

  /** The rows' indices as a data page holds them: their bit width (one byte), then the hybrid. */
  encodedIndices(): Buffer {
    const width = bitWidthOf(this.values.length);
    return Buffer.concat([Buffer.from([width]), encodeHybrid(this.indices.subarray(0, this.count), width)]);
  }

  private lookup(value: string | Buffer): number {
    if (typeof value === 'string') return this.byText.get(value) ?? -1;
    return this.byBytes.get(value.toString('latin1')) ?? -1;
  }

  private add(value: string | Buffer): number {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
    const index = this.values.length;
    this.values.push(bytes);
    this.valueBytes += 4 + bytes.length;
    // Text finds the bytes it encodes to, bytes find equal bytes (latin1: one character per byte).
    this.byBytes.set(bytes.toString('latin1'), index);
    if (typeof value === 'string') this.byText.set(value, index);
    else if (isUtf8(bytes)) this.byText.set(bytes.toString('utf8'), index);
    return index;
  }
}

/** Bits per index for a dictionary of `size` values (at least 1). */
export function bitWidthOf(size: number): number {
  let width = 1;
  while (2 ** width < size) width++;
  return width;
}

/** `count` indices of a data page's bytes (its bit width byte, then the hybrid), as encodedIndices writes them. */
export function decodeIndices(data: Buffer, count: number, fail: (why: string) => Error): Int32Array {
  const width = data[0];
  if (width === undefined || width > 32) throw fail(`dictionary indices of bit width ${String(width)}`);
  return decodeHybrid(data.subarray(1), width, count, fail);
}
