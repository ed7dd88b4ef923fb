/**
 * The RLE / bit-packing hybrid of Parquet (https://github.com/apache/parquet-format/blob/master/Encodings.md):
 * runs of one repeated value, or groups of 8 values packed at a fixed bit width, each run after a ULEB128
 * header. Definition levels (bit width 1) and dictionary indices are stored this way.
 */
import { readUleb128, uleb128 } from './thrift-compact';

/**
 * `values` in the hybrid at `width` bits: an RLE run for 8 or more equal values in a row, bit-packed groups of
 * 8 otherwise (a bit-packed run holds whole groups; only the last run may be padded, and readers ignore the
 * padding past the page's value count).
 */
export function encodeHybrid(values: Int32Array, width: number): Buffer {
  const out: number[] = [];
  const n = values.length;
  const valueBytes = Math.ceil(width / 8);
  let i = 0;
  while (i < n) {
    const run = runLength(values, i);
    if (run >= 8) {
      out.push(...uleb128(run * 2));
      let value = values[i] as number;
      for (let b = 0; b < valueBytes; b++, value >>>= 8) out.push(value & 0xff);
      i += run;
      continue;
    }
    const start = i;
    do i += 8;
    while (i < n && runLength(values, i) < 8);
    const groups = (Math.min(i, n) - start + 7) >> 3;
    out.push(...uleb128(groups * 2 + 1));
    const packed = new Uint8Array(groups * width);
    let bit = 0;
    for (let k = start; k < start + groups * 8; k++, bit += width) {
      const value = k < n ? (values[k] as number) : 0;
      for (let b = 0; b < width; b++) if ((value >>> b) & 1) packed[(bit + b) >> 3] = (packed[(bit + b) >> 3] as number) | (1 << ((bit + b) & 7));
    }
    for (const byte of packed) out.push(byte);
    i = Math.min(i, n);
  }
  return Buffer.from(out);
}

function runLength(values: Int32Array, at: number): number {
  const value = values[at];
  let end = at + 1;
  while (end < values.length && values[end] === value) end++;
  return end - at;
}

/** The first `count` values of hybrid `data` at `width` bits. */
export function decodeHybrid(data: Buffer, width: number, count: number, fail: (why: string) => Error): Int32Array {
  const out = new Int32Array(count);
  const valueBytes = Math.ceil(width / 8);
  let offset = 0;
  let filled = 0;
  while (filled < count) {
    const read = readUleb128(data, offset);
    if (read === undefined) throw fail('hybrid-encoded values end early');
    offset = read.next;
    if (read.value % 2 === 0) {
      let value = 0;
      for (let b = 0; b < valueBytes; b++) value |= (data[offset + b] as number) << (8 * b);
      offset += valueBytes;
      const end = Math.min(count, filled + read.value / 2);
      out.fill(value, filled, end);
      filled = end;
    } else {
      const groups = (read.value - 1) / 2;
      if (offset + groups * width > data.length) throw fail('hybrid-encoded values end early');
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
