const CHUNK_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;

/**
 * NDJSON output encoded as it is produced: each line is written straight into a 1 MiB chunk
 * (`Buffer.write`), so no row string outlives its line and no giant joined string is ever built (a
 * profile showed GC and one big join as the largest costs of validation). `mark`/`rollback` drop what
 * was written since a mark, for an object that turns out to be unreadable.
 */
export class LineBuffer {
  private readonly chunks: Buffer[] = [];
  private current: Buffer;
  private offset = 0;
  private lines = 0;

  /** `chunkBytes` is a floor: a longer line gets a chunk of its own size. */
  constructor(private readonly chunkBytes = CHUNK_BYTES) {
    this.current = Buffer.allocUnsafe(chunkBytes);
  }

  get length(): number {
    return this.lines;
  }

  push(line: string): void {
    // A UTF-16 code unit is at most 3 bytes of UTF-8; reserve that plus the newline.
    const worst = line.length * 3 + 1;
    if (this.offset + worst > this.current.length) this.nextChunk(worst);
    this.offset += this.current.write(line, this.offset, 'utf8');
    this.current[this.offset++] = NEWLINE;
    this.lines++;
  }

  mark(): { readonly chunks: number; readonly offset: number; readonly lines: number } {
    return { chunks: this.chunks.length, offset: this.offset, lines: this.lines };
  }

  rollback(mark: { readonly chunks: number; readonly offset: number; readonly lines: number }): void {
    if (this.chunks.length > mark.chunks) {
      // The mark was inside a chunk that has since been closed: reopen it.
      this.current = this.chunks[mark.chunks] as Buffer;
      this.chunks.length = mark.chunks;
    }
    this.offset = mark.offset;
    this.lines = mark.lines;
  }

  /** Every line, each ending in `\n` (empty when there are none). */
  toBuffer(): Buffer {
    return Buffer.concat([...this.chunks, this.current.subarray(0, this.offset)]);
  }

  private nextChunk(atLeast: number): void {
    this.chunks.push(this.current.subarray(0, this.offset));
    this.current = Buffer.allocUnsafe(Math.max(this.chunkBytes, atLeast));
    this.offset = 0;
  }
}
