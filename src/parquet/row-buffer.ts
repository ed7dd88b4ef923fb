import { gzipSync } from 'node:zlib';
import { ThriftWriter } from './thrift-compact';
import { fileTail, type ChunkPlacement } from './footer';
import { Codec, Encoding, MAGIC, PageType, type ParquetCodec, type ParquetColumn, type ParquetValue } from './schema';
import { TextDictionary } from './dictionary';
import { encodeHybrid } from './hybrid';

/** A position in a ParquetRowBuffer (see `mark`). */
export interface RowMark {
  readonly rows: number;
  /** Per column: the bytes of its values, or for a dictionary column the rows its dictionary holds (nulls aside). */
  readonly bytes: readonly number[];
}

export interface RowBufferOptions {
  /** A column's page is closed once its values reach this many bytes (default 1 MiB). */
  readonly pageMaxBytes?: number;
  readonly codec?: ParquetCodec;
  /** Bytes each column's values are allocated at a time (default 256 KiB; small values test the chunking). */
  readonly chunkBytes?: number;
}

const DAY_MS = 86_400_000;
/** Bytes per chunk of a ByteSink: a value longer than this gets a chunk of its own size. */
const CHUNK_BYTES = 256 * 1024;
/** Text up to this many UTF-16 units is tried as ASCII first (ByteSink.utf8). */
const SHORT_TEXT = 64;

/**
 * Rows of a Parquet file encoded as they are pushed: each value goes straight into its column's byte
 * buffer in PLAIN encoding (a string is written as UTF-8 once; a Buffer is copied as it is, so a payload
 * read as bytes is never decoded or re-escaped), nulls into a presence map. `toBuffer` lays the columns out
 * as one row group of v1 data pages of about `pageMaxBytes` each and adds the footer. `mark`/`rollback`
 * drop the rows pushed since a mark. Like LineBuffer for NDJSON, how much it may hold is its owner's to
 * bound (PartWriter).
 */
export class ParquetRowBuffer {
  private rows = 0;
  private readonly values: ByteSink[];
  /** Per column: its dictionary when it is dictionary-encoded (then `values` stays empty). */
  private readonly dictionaries: (TextDictionary | undefined)[];
  private present: Uint8Array;
  /** Per column: [row, byte] where each page after the first starts. */
  private readonly pageStarts: number[][];
  private readonly pageMaxBytes: number;
  private readonly codec: ParquetCodec;

  constructor(
    readonly columns: readonly ParquetColumn[],
    options: RowBufferOptions = {},
  ) {
    this.pageMaxBytes = options.pageMaxBytes ?? 1024 * 1024;
    this.codec = options.codec ?? 'uncompressed';
    this.values = columns.map(() => new ByteSink(options.chunkBytes ?? CHUNK_BYTES));
    this.dictionaries = columns.map((column) => {
      if (column.dictionary !== true) return undefined;
      if (column.type !== 'utf8') throw new TypeError(`column ${column.name}: only utf8 columns can be dictionary-encoded`);
      return new TextDictionary();
    });
    this.present = new Uint8Array(1024 * columns.length);
    this.pageStarts = columns.map(() => []);
  }

  get length(): number {
    return this.rows;
  }

  /**
   * Bytes of encoded values, a dictionary column's as its values plus 4 bytes a row (the file adds the
   * presence maps, page headers and footer, and packs the indices: a few bytes a row).
   */
  get byteLength(): number {
    let bytes = 0;
    for (const sink of this.values) bytes += sink.length;
    for (const dictionary of this.dictionaries) if (dictionary !== undefined) bytes += dictionary.valueBytes + 4 * dictionary.length;
    return bytes;
  }

  /** Appends one row: `row[i]` is the value of `columns[i]`. */
  push(row: readonly ParquetValue[]): void {
    const width = this.columns.length;
    if (row.length !== width) throw new RangeError(`a row has ${width} values, got ${row.length}`);
    if ((this.rows + 1) * width > this.present.length) {
      const grown = new Uint8Array(this.present.length * 2);
      grown.set(this.present);
      this.present = grown;
    }
    const base = this.rows * width;
    for (let c = 0; c < width; c++) {
      const value = row[c] as ParquetValue;
      if (value === null) {
        this.present[base + c] = 0;
        continue;
      }
      this.present[base + c] = 1;
      const dictionary = this.dictionaries[c];
      if (dictionary !== undefined) {
        if (typeof value !== 'string' && !Buffer.isBuffer(value)) throw new TypeError(`a utf8 column takes text, got ${typeof value}`);
        dictionary.push(value);
        continue;
      }
      const sink = this.values[c] as ByteSink;
      writeValue(sink, (this.columns[c] as ParquetColumn).type, value);
      const starts = this.pageStarts[c] as number[];
      const pageStart = starts.length === 0 ? 0 : (starts[starts.length - 1] as number);
      if (sink.length - pageStart >= this.pageMaxBytes) starts.push(this.rows + 1, sink.length);
    }
    this.rows++;
  }

  mark(): RowMark {
    return { rows: this.rows, bytes: this.values.map((sink, c) => this.dictionaries[c]?.length ?? sink.length) };
  }

  /** Drops every row pushed since `mark`. */
  rollback(mark: RowMark): void {
    this.rows = mark.rows;
    this.values.forEach((sink, c) => {
      const dictionary = this.dictionaries[c];
      if (dictionary !== undefined) {
        dictionary.truncate(mark.bytes[c] as number);
        return;
      }
      sink.truncate(mark.bytes[c] as number);
      const starts = this.pageStarts[c] as number[];
      // A page that starts at or after the mark's row holds only dropped rows.
      while (starts.length > 0 && (starts[starts.length - 2] as number) >= mark.rows) starts.length -= 2;
    });
  }

  /** The whole Parquet file (a valid file with no row group when there are no rows). */
  toBuffer(): Buffer {
    const pieces: Buffer[] = [MAGIC];
    let offset = MAGIC.length;
    const chunks: ChunkPlacement[] = [];
    if (this.rows > 0) {
      this.columns.forEach((column, c) => {
        const first = offset;
        let uncompressedBytes = 0;
        /** Where the first data page starts, when a dictionary page comes before it. */
        let dataOffset: number | undefined;
        const add = (page: StoredPage) => {
          pieces.push(...page.pieces);
          offset += page.storedBytes;
          uncompressedBytes += page.uncompressedBytes;
        };
        const dictionary = this.dictionaries[c];
        if (dictionary !== undefined) {
          add(this.storePage([dictionary.plainValues()], (bytes, stored) => dictionaryPageHeader(dictionary.values.length, bytes, stored)));
          dataOffset = offset;
          const body = [...this.levelPieces(c, 0, this.rows), dictionary.encodedIndices()];
          add(this.storePage(body, (bytes, stored) => pageHeader(this.rows, bytes, stored, Encoding.PLAIN_DICTIONARY)));
        } else {
          const starts = [0, 0, ...(this.pageStarts[c] as number[]), this.rows, (this.values[c] as ByteSink).length];
          for (let p = 0; p + 2 < starts.length; p += 2) {
            const [row0, byte0, row1, byte1] = starts.slice(p, p + 4) as [number, number, number, number];
            if (row1 === row0) continue;
            const body = [...this.levelPieces(c, row0, row1), ...(this.values[c] as ByteSink).bytes(byte0, byte1)];
            add(this.storePage(body, (bytes, stored) => pageHeader(row1 - row0, bytes, stored, Encoding.PLAIN)));
          }
        }
        const storedBytes = offset - first;
        chunks.push({ column, codec: Codec[this.codec], offset: first, ...(dataOffset === undefined ? {} : { dataOffset }), storedBytes, uncompressedBytes });
      });
    }
    pieces.push(fileTail(this.columns, this.rows, chunks));
    return Buffer.concat(pieces);
  }

  /**
   * A page of `body` behind the header `header(bodyBytes, storedBytes)` makes, compressed by the codec.
   * Uncompressed pages go into the file as their pieces: the file's one concat is their only copy.
   */
  private storePage(body: Buffer[], header: (bodyBytes: number, storedBytes: number) => Buffer): StoredPage {
    let bodyBytes = 0;
    for (const piece of body) bodyBytes += piece.length;
    const stored = this.codec === 'gzip' ? [gzipSync(Buffer.concat(body, bodyBytes))] : body;
    const storedBytes = this.codec === 'gzip' ? (stored[0] as Buffer).length : bodyBytes;
    const head = header(bodyBytes, storedBytes);
    return { pieces: [head, ...stored], storedBytes: head.length + storedBytes, uncompressedBytes: head.length + bodyBytes };
  }

  /**
   * Definition levels of rows [row0, row1) of column c as a v1 data page starts with them: their length (4
   * bytes), then the levels in the RLE/bit-packing hybrid at bit width 1 (src/parquet/hybrid.ts).
   */
  private levelPieces(c: number, row0: number, row1: number): Buffer[] {
    const width = this.columns.length;
    const levels = new Int32Array(row1 - row0);
    for (let r = row0; r < row1; r++) levels[r - row0] = this.present[r * width + c] as number;
    const encoded = encodeHybrid(levels, 1);
    const length = Buffer.alloc(4);
    length.writeUInt32LE(encoded.length);
    return [length, encoded];
  }
}

/** A page as it goes into the file: its header and body pieces, and its sizes with the header. */
interface StoredPage {
  readonly pieces: Buffer[];
  readonly storedBytes: number;
  readonly uncompressedBytes: number;
}

/**
 * A dictionary page header: `values` values, PLAIN. Its encoding and its data pages' say PLAIN_DICTIONARY, as
 * a version 1 file's do (Encodings.md: the same bytes as PLAIN / RLE_DICTIONARY, which only 2.0 files name;
 * readers that predate RLE_DICTIONARY read PLAIN_DICTIONARY, every later one reads both).
 */
function dictionaryPageHeader(values: number, bodyBytes: number, storedBytes: number): Buffer {
  return new ThriftWriter()
    .struct([
      [1, 'i32', PageType.DICTIONARY_PAGE],
      [2, 'i32', bodyBytes],
      [3, 'i32', storedBytes],
      [7, 'struct', [[1, 'i32', values], [2, 'i32', Encoding.PLAIN_DICTIONARY]]],
    ])
    .toBuffer();
}

/** A v1 data page header: values in `encoding` (PLAIN, or PLAIN_DICTIONARY indices), RLE definition and repetition levels. */
function pageHeader(values: number, bodyBytes: number, storedBytes: number, encoding: number): Buffer {
  return new ThriftWriter()
    .struct([
      [1, 'i32', PageType.DATA_PAGE],
      [2, 'i32', bodyBytes],
      [3, 'i32', storedBytes],
      [
        5,
        'struct',
        [
          [1, 'i32', values],
          [2, 'i32', encoding],
          [3, 'i32', Encoding.RLE],
          [4, 'i32', Encoding.RLE],
        ],
      ],
    ])
    .toBuffer();
}

function writeValue(sink: ByteSink, type: ParquetColumn['type'], value: Exclude<ParquetValue, null>): void {
  switch (type) {
    case 'utf8':
      if (typeof value === 'string') sink.utf8(value);
      else if (Buffer.isBuffer(value)) sink.lengthPrefixed(value);
      else throw new TypeError(`a utf8 column takes text, got ${typeof value}`);
      return;
    case 'double':
      sink.double(numberOf(value, type));
      return;
    case 'int64':
      sink.int64(integerOf(value, type));
      return;
    case 'int32':
      sink.int32(integerOf(value, type));
      return;
    case 'date':
      sink.int32(typeof value === 'string' ? daysOf(value) : integerOf(value, type));
      return;
  }
}

function numberOf(value: Exclude<ParquetValue, null>, type: string): number {
  if (typeof value !== 'number') throw new TypeError(`a ${type} column takes numbers, got ${typeof value}`);
  return value;
}

function integerOf(value: Exclude<ParquetValue, null>, type: string): number {
  const n = numberOf(value, type);
  if (!Number.isSafeInteger(n)) throw new RangeError(`a ${type} column takes safe integers, got ${n}`);
  if (type !== 'int64' && (n < -(2 ** 31) || n >= 2 ** 31)) throw new RangeError(`${n} does not fit a 32-bit ${type} column`);
  return n;
}

let lastDate = '';
let lastDays = 0;

/** Days since 1970-01-01 of a `YYYY-MM-DD` date (rows of a batch share few dates: the last one is kept). */
function daysOf(date: string): number {
  if (date === lastDate) return lastDays;
  lastDays = parseDays(date);
  lastDate = date;
  return lastDays;
}

function parseDays(date: string): number {
  const ms = Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(ms)) throw new RangeError(`not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  return ms / DAY_MS;
}

/**
 * A growable byte array with PLAIN encoders, held as a list of chunks so growing never copies what was
 * written (a doubling buffer copied each part's bytes once more: ~0.3 s per 1M staged rows). A value never
 * straddles two chunks. `truncate` drops what was written since a length.
 */
class ByteSink {
  private readonly chunks: Buffer[] = [];
  /** Logical offset of each chunk's first byte. */
  private readonly starts: number[] = [];
  private current: Buffer = Buffer.allocUnsafe(0);
  /** Write position in `current`. */
  private pos = 0;
  /** Logical offset of `current`'s first byte. */
  private base = 0;

  constructor(private readonly chunkBytes: number) {}

  get length(): number {
    return this.base + this.pos;
  }

  /** The bytes of [start, end) as the chunk pieces that hold them (no copy). */
  bytes(start: number, end: number): Buffer[] {
    const pieces: Buffer[] = [];
    const all = this.sealed();
    for (let c = 0; c < all.length; c++) {
      const chunkStart = this.starts[c] as number;
      const chunk = all[c] as Buffer;
      const from = Math.max(start, chunkStart);
      const to = Math.min(end, chunkStart + chunk.length);
      if (from < to) pieces.push(chunk.subarray(from - chunkStart, to - chunkStart));
    }
    return pieces;
  }

  /** Drops every byte at or after `length`. */
  truncate(length: number): void {
    if (length > this.length) throw new RangeError(`cannot truncate ${this.length} bytes to ${length}`);
    let c = this.chunks.length - 1;
    while (c > 0 && (this.starts[c] as number) > length) c--;
    if (c < 0) return;
    // Chunk c becomes the current one again: what follows `length` in it is written over.
    const chunkStart = this.starts[c] as number;
    this.current = this.chunks[c] as Buffer;
    this.chunks.length = c + 1;
    this.starts.length = c + 1;
    this.base = chunkStart;
    this.pos = length - chunkStart;
  }

  utf8(text: string): void {
    // A UTF-16 code unit is at most 3 bytes of UTF-8.
    const buffer = this.reserve(4 + text.length * 3);
    const start = this.pos + 4;
    // Short ASCII text (uuids, names, dates, keys: most values) is copied by hand: a native Buffer.write
    // per value cost more than the copy itself (a profile of validation: ~2 s per 1M rows).
    if (text.length <= SHORT_TEXT) {
      let i = 0;
      for (; i < text.length; i++) {
        const code = text.charCodeAt(i);
        if (code >= 0x80) break;
        buffer[start + i] = code;
      }
      if (i === text.length) {
        buffer.writeUInt32LE(i, this.pos);
        this.pos = start + i;
        return;
      }
    }
    const written = buffer.write(text, start, 'utf8');
    buffer.writeUInt32LE(written, this.pos);
    this.pos += 4 + written;
  }

  lengthPrefixed(bytes: Buffer): void {
    const buffer = this.reserve(4 + bytes.length);
    buffer.writeUInt32LE(bytes.length, this.pos);
    bytes.copy(buffer, this.pos + 4);
    this.pos += 4 + bytes.length;
  }

  double(value: number): void {
    this.pos = this.reserve(8).writeDoubleLE(value, this.pos);
  }

  int32(value: number): void {
    this.pos = this.reserve(4).writeInt32LE(value, this.pos);
  }

  int64(value: number): void {
    const buffer = this.reserve(8);
    // Two's complement in two 32-bit halves (a safe integer's high half fits an Int32).
    const high = Math.floor(value / 2 ** 32);
    buffer.writeUInt32LE(value - high * 2 ** 32, this.pos);
    buffer.writeInt32LE(high, this.pos + 4);
    this.pos += 8;
  }

  /** The chunks, the current one cut to what is written. */
  private sealed(): Buffer[] {
    const all = this.chunks.slice(0, -1);
    if (this.chunks.length > 0) all.push(this.current.subarray(0, this.pos));
    return all;
  }

  /** The chunk to write `bytes` more into at `pos`: the current one, or a new one. */
  private reserve(bytes: number): Buffer {
    if (this.pos + bytes <= this.current.length) return this.current;
    // The full chunk keeps only what was written, so the chunks laid end to end are the logical bytes.
    if (this.chunks.length > 0) this.chunks[this.chunks.length - 1] = this.current.subarray(0, this.pos);
    this.base += this.pos;
    this.current = Buffer.allocUnsafe(Math.max(this.chunkBytes, bytes));
    this.pos = 0;
    this.chunks.push(this.current);
    this.starts.push(this.base);
    return this.current;
  }
}
