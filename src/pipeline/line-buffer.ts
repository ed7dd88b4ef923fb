const CHUNK_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;

/** A position in a LineBuffer: its size in bytes and lines at the moment `mark` was called. */
export interface LineMark {
  readonly bytes: number;
  readonly lines: number;
}

/**
 * NDJSON output encoded as it is produced: each line is written straight into a 1 MiB chunk
 * (`Buffer.write`), so no row string outlives its line and no giant joined string is ever built (a
 * profile showed GC and one big join as the largest costs of validation). `mark`/`rollback` drop what
 * was written since a mark, for an object that turns out to be unreadable. How much a buffer may hold
 * is its owner's to bound: PartWriter (part-writer.ts) hands it to the object store a part at a time.
 */
export class LineBuffer {
  private readonly chunks: Buffer[] = [];
  private current: Buffer;
  private offset = 0;
  private closedBytes = 0;
  private lines = 0;

  /** `chunkBytes` is a floor: a longer line gets a chunk of its own size. */
  constructor(private readonly chunkBytes = CHUNK_BYTES) {
    this.current = Buffer.allocUnsafe(chunkBytes);
  }

  /** A buffer that starts with `bytes` (whole lines, `lines` of them), e.g. a part read back to roll into. */
  static holding(bytes: Buffer, lines: number, chunkBytes = CHUNK_BYTES): LineBuffer {
    const buffer = new LineBuffer(chunkBytes);
    buffer.current = bytes;
    buffer.offset = bytes.length;
    buffer.lines = lines;
    return buffer;
  }

  /** Lines pushed. */
  get length(): number {
    return this.lines;
  }

  get byteLength(): number {
    return this.closedBytes + this.offset;
  }

  push(line: string): void {
    // A UTF-16 code unit is at most 3 bytes of UTF-8; reserve that plus the newline.
    const worst = line.length * 3 + 1;
    if (this.offset + worst > this.current.length) this.nextChunk(worst);
    this.offset += this.current.write(line, this.offset, 'utf8');
    this.current[this.offset++] = NEWLINE;
    this.lines++;
  }

  mark(): LineMark {
    return { bytes: this.byteLength, lines: this.lines };
  }

  /** Drops every line pushed since `mark`. */
  rollback(mark: LineMark): void {
    if (mark.bytes < this.closedBytes) {
      // The mark is inside a chunk that has since been closed: reopen it.
      let start = 0;
      let index = 0;
      while (start + (this.chunks[index] as Buffer).length <= mark.bytes) start += (this.chunks[index++] as Buffer).length;
      this.current = this.chunks[index] as Buffer;
      this.chunks.length = index;
      this.closedBytes = start;
    }
    this.offset = mark.bytes - this.closedBytes;
    this.lines = mark.lines;
  }

  /** Every line, each ending in `\n` (empty when there are none). */
  toBuffer(): Buffer {
    return Buffer.concat([...this.chunks, this.current.subarray(0, this.offset)]);
  }

  private nextChunk(atLeast: number): void {
    if (this.offset > 0) {
      this.chunks.push(this.current.subarray(0, this.offset));
      this.closedBytes += this.offset;
    }
    this.current = Buffer.allocUnsafe(Math.max(this.chunkBytes, atLeast));
    this.offset = 0;
  }
}
