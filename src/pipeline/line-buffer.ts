/**
 * NDJSON output built in encoded chunks: lines are turned into a Buffer every few thousand, so the
 * strings die young instead of piling up for a whole slice (which made GC and one giant join the
 * largest costs of validation). `mark`/`rollback` drop everything written since a mark, for an object
 * that turns out to be unreadable.
 */
export class LineBuffer {
  private readonly chunks: Buffer[] = [];
  private pending: string[] = [];
  private lines = 0;

  constructor(private readonly chunkLines = 2048) {}

  get length(): number {
    return this.lines;
  }

  push(line: string): void {
    this.pending.push(line);
    this.lines++;
    if (this.pending.length >= this.chunkLines) this.flush();
  }

  mark(): { readonly chunks: number; readonly lines: number } {
    this.flush();
    return { chunks: this.chunks.length, lines: this.lines };
  }

  rollback(mark: { readonly chunks: number; readonly lines: number }): void {
    this.pending = [];
    this.chunks.length = mark.chunks;
    this.lines = mark.lines;
  }

  /** Every line, each ending in `\n` (empty when there are none). */
  toBuffer(): Buffer {
    this.flush();
    return Buffer.concat(this.chunks);
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.chunks.push(Buffer.from(`${this.pending.join('\n')}\n`, 'utf8'));
    this.pending = [];
  }
}
