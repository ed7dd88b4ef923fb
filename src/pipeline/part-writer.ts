import { ObjectNotFoundError } from '../errors';
import type { ObjectStore } from '../ports/object-store';
import type { PartKeys } from '../ports/layout';
import { LineBuffer } from './line-buffer';

/** A position in a PartWriter (see `mark`). */
export interface PartMark {
  readonly part: number;
  readonly bytes: number;
  readonly lines: number;
}

/**
 * One NDJSON output stream of a slice, written to the object store as numbered parts of about
 * `maxBytes` each (plain `put`s, atomic on both stores; no multipart upload to abort). A slice's output
 * of any size is held in memory one part at a time, so a slice of any number of lines runs within a
 * fixed budget (tests/pipeline/slice-memory.test.ts).
 *
 * - `push` is synchronous; the owner calls `flushIfFull` between batches of lines, which puts the
 *   current part once it holds `maxBytes`. Memory: one part plus what was pushed since the last flush.
 * - `rollback(mark)` drops every line pushed since `mark`, reading back the part the mark is in when that
 *   part was already put (an unreadable object found only at its end; rare).
 * - `close` puts the last part (part 0 even when empty, so a slice always leaves its file) and deletes
 *   any other object under the prefix: parts of an earlier attempt that wrote more (a raw object has
 *   since vanished) or rolled back here. Readers list the prefix, so they see exactly this attempt's parts.
 * - `contents` (instead of `close`) yields the stream back, part by part, for a spill that is read once
 *   and not kept (user-state versions).
 */
export class PartWriter {
  private part = 0;
  private buffer = new LineBuffer();
  /** Lines in the parts before each part: `linesBefore[p]`. */
  private readonly linesBefore: number[] = [0];

  constructor(
    private readonly objects: ObjectStore,
    readonly keys: PartKeys,
    private readonly maxBytes: number,
  ) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError(`part size must be a positive integer, got ${maxBytes}`);
  }

  /** Lines pushed (and not rolled back). */
  get length(): number {
    return (this.linesBefore[this.part] as number) + this.buffer.length;
  }

  push(line: string): void {
    this.buffer.push(line);
  }

  async flushIfFull(): Promise<void> {
    if (this.buffer.byteLength < this.maxBytes) return;
    await this.objects.put(this.keys.key(this.part), this.buffer.toBuffer());
    const lines = this.length;
    this.part++;
    this.linesBefore[this.part] = lines;
    this.buffer = new LineBuffer();
  }

  mark(): PartMark {
    return { part: this.part, bytes: this.buffer.byteLength, lines: this.length };
  }

  async rollback(mark: PartMark): Promise<void> {
    if (mark.part === this.part) {
      this.buffer.rollback({ bytes: mark.bytes, lines: mark.lines - (this.linesBefore[mark.part] as number) });
      return;
    }
    const body = await this.objects.get(this.keys.key(mark.part));
    this.part = mark.part;
    this.linesBefore.length = mark.part + 1;
    this.buffer = LineBuffer.holding(body.subarray(0, mark.bytes), mark.lines - (this.linesBefore[mark.part] as number));
  }

  /** Puts the last part and removes stale parts; returns how many parts the stream has. */
  async close(): Promise<number> {
    const parts = this.part === 0 || this.buffer.byteLength > 0 ? this.part + 1 : this.part;
    if (parts > this.part) await this.objects.put(this.keys.key(this.part), this.buffer.toBuffer());
    const kept = new Set(Array.from({ length: parts }, (_, part) => this.keys.key(part)));
    const stale: string[] = [];
    for await (const info of this.objects.list(this.keys.prefix)) if (!kept.has(info.key)) stale.push(info.key);
    for (const key of stale) await this.objects.delete(key);
    return parts;
  }

  /** The stream's bytes, part by part, without putting the last part. */
  async *contents(): AsyncGenerator<Buffer> {
    for (let part = 0; part < this.part; part++) yield await this.objects.get(this.keys.key(part));
    yield this.buffer.toBuffer();
  }
}

/**
 * The keys of a closed stream's parts, in order; a stream that was never closed has none: ObjectNotFoundError.
 * On S3 a listing right after the puts sees them: "After a successful write of a new object ... any subsequent
 * ... LIST request ... reflects the change" (strong read-after-write consistency,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/Welcome.html#ConsistencyModel).
 */
export async function partsOf(objects: ObjectStore, keys: PartKeys): Promise<string[]> {
  const found: string[] = [];
  for await (const info of objects.list(keys.prefix)) found.push(info.key);
  if (found.length === 0) throw new ObjectNotFoundError(keys.key(0));
  return found;
}
