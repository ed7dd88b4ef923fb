import { ObjectNotFoundError } from '../errors';
import type { ObjectStore } from '../ports/object-store';
import type { PartKeys } from '../ports/layout';
import { LineBuffer, type LineMark } from './line-buffer';

/**
 * What a PartWriter fills: rows encoded as they are pushed (LineBuffer for NDJSON, ParquetRowBuffer for
 * staged rows), with `mark`/`rollback` inside the buffer and the whole part as bytes.
 */
export interface PartBuffer<Row, Mark> {
  readonly length: number;
  readonly byteLength: number;
  push(row: Row): void;
  mark(): Mark;
  rollback(mark: Mark): void;
  toBuffer(): Buffer;
}

/** How to start a part, and how to reopen one already put, keeping the rows up to a mark. */
export interface PartFormat<Row, Mark> {
  create(): PartBuffer<Row, Mark>;
  reopen(body: Buffer, mark: Mark, key: string): PartBuffer<Row, Mark>;
}

/** NDJSON parts: one string a line. */
export const NDJSON_PARTS: PartFormat<string, LineMark> = {
  create: () => new LineBuffer(),
  reopen: (body, mark) => LineBuffer.holding(body.subarray(0, mark.bytes), mark.lines),
};

/** A position in a PartWriter (see `mark`). */
export interface PartMark<Mark> {
  readonly part: number;
  readonly inPart: Mark;
}

/**
 * One output stream of a slice, written to the object store as numbered parts of about `maxBytes` each
 * (plain `put`s, atomic on both stores; no multipart upload to abort). A slice's output of any size is
 * held in memory one part at a time, so a slice of any number of lines runs within a fixed budget
 * (tests/pipeline/slice-memory.test.ts). The part format is the caller's: NDJSON lines by default, staged
 * rows as Parquet (src/pipeline/staged-row.ts).
 *
 * - `push` is synchronous; the owner calls `flushIfFull` between batches of rows, which puts the
 *   current part once it holds `maxBytes`. Memory: one part plus what was pushed since the last flush.
 * - `rollback(mark)` drops every row pushed since `mark`, reading back the part the mark is in when that
 *   part was already put (an unreadable object found only at its end; rare).
 * - `close` puts the last part (part 0 even when empty, so a slice always leaves its file) and deletes
 *   any other object under the prefix: parts of an earlier attempt that wrote more (a raw object has
 *   since vanished) or rolled back here. Readers list the prefix, so they see exactly this attempt's parts.
 * - `contents` (instead of `close`) yields the stream back, part by part, for a spill that is read once
 *   and not kept (user-state versions).
 */
export class PartWriter<Row = string, Mark = LineMark> {
  private part = 0;
  private buffer: PartBuffer<Row, Mark>;
  /** Rows in the parts before each part: `rowsBefore[p]`. */
  private readonly rowsBefore: number[] = [0];

  constructor(
    private readonly objects: ObjectStore,
    readonly keys: PartKeys,
    private readonly maxBytes: number,
    private readonly format: PartFormat<Row, Mark> = NDJSON_PARTS as unknown as PartFormat<Row, Mark>,
  ) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError(`part size must be a positive integer, got ${maxBytes}`);
    this.buffer = format.create();
  }

  /** Rows pushed (and not rolled back). */
  get length(): number {
    return (this.rowsBefore[this.part] as number) + this.buffer.length;
  }

  push(row: Row): void {
    this.buffer.push(row);
  }

  async flushIfFull(): Promise<void> {
    if (this.buffer.byteLength < this.maxBytes) return;
    await this.objects.put(this.keys.key(this.part), this.buffer.toBuffer());
    const rows = this.length;
    this.part++;
    this.rowsBefore[this.part] = rows;
    this.buffer = this.format.create();
  }

  mark(): PartMark<Mark> {
    return { part: this.part, inPart: this.buffer.mark() };
  }

  async rollback(mark: PartMark<Mark>): Promise<void> {
    if (mark.part === this.part) {
      this.buffer.rollback(mark.inPart);
      return;
    }
    const key = this.keys.key(mark.part);
    const body = await this.objects.get(key);
    this.part = mark.part;
    this.rowsBefore.length = mark.part + 1;
    this.buffer = this.format.reopen(body, mark.inPart, key);
  }

  /** Puts the last part and removes stale parts; returns how many parts the stream has. */
  async close(): Promise<number> {
    const parts = this.part === 0 || this.buffer.length > 0 ? this.part + 1 : this.part;
    if (parts > this.part) await this.objects.put(this.keys.key(this.part), this.buffer.toBuffer());
    await removeStaleParts(this.objects, this.keys, parts);
    return parts;
  }

  /** The stream's bytes, part by part, without putting the last part. */
  async *contents(): AsyncGenerator<Buffer> {
    for (let part = 0; part < this.part; part++) yield await this.objects.get(this.keys.key(part));
    yield this.buffer.toBuffer();
  }
}

/** Deletes every object under the stream's prefix but its first `parts` parts (what an earlier, longer attempt left). */
export async function removeStaleParts(objects: ObjectStore, keys: PartKeys, parts: number): Promise<void> {
  const kept = new Set(Array.from({ length: parts }, (_, part) => keys.key(part)));
  const stale: string[] = [];
  for await (const info of objects.list(keys.prefix)) if (!kept.has(info.key)) stale.push(info.key);
  for (const key of stale) await objects.delete(key);
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
