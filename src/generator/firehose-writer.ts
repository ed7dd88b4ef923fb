import { gzipSync } from 'node:zlib';
import { InvalidInputError } from '../errors';
import { pad2 } from './payloads';
import { toHex8, type Prng } from './prng';

export interface FirehoseWriterOptions {
  readonly streamName: string;
  readonly objectMaxBytes: number;
  readonly objectMaxSeconds: number;
  readonly gzip: boolean;
  /** Draws the uuid at the end of each object name. */
  readonly keyRng: Prng;
}

/** One finished object, ready for `store.put`. */
export interface ClosedObject {
  readonly key: string;
  readonly body: Buffer;
  readonly index: number;
  readonly lines: number;
  readonly uncompressedBytes: number;
}

/**
 * The Firehose S3 key for an object whose first record arrived at `arrivalSeconds`:
 * `raw/YYYY/MM/DD/HH/<stream>-1-YYYY-MM-DD-HH-MM-SS-<uuid>[.gz]`, all in UTC.
 */
export function firehoseKey(streamName: string, arrivalSeconds: number, uuid: string, gzip: boolean): string {
  const at = new Date(Math.floor(arrivalSeconds) * 1000);
  const y = String(at.getUTCFullYear());
  const mo = pad2(at.getUTCMonth() + 1);
  const d = pad2(at.getUTCDate());
  const h = pad2(at.getUTCHours());
  const stamp = `${y}-${mo}-${d}-${h}-${pad2(at.getUTCMinutes())}-${pad2(at.getUTCSeconds())}`;
  return `raw/${y}/${mo}/${d}/${h}/${streamName}-1-${stamp}-${uuid}${gzip ? '.gz' : ''}`;
}

/**
 * Buffers lines in arrival order like a Firehose delivery stream and cuts objects at `objectMaxBytes`
 * (uncompressed), at `objectMaxSeconds` of arrival time, or when the arrival hour changes (so every object
 * sits under the hour prefix of its first record). A single line larger than the buffer gets an object of
 * its own. Keys sort in write order, even for several objects in the same second, so "arrival order"
 * (object key, then line) is exactly the order lines were written.
 */
export class FirehoseWriter {
  /** Finished objects not yet handed to the store. */
  readonly ready: ClosedObject[] = [];
  /** Index of the open object (= objects closed so far). */
  objectIndex = 0;
  /** Lines in the open object. */
  linesInObject = 0;

  /** The open object's bytes, [0, used). Lines are encoded as they come, so no line string outlives add(). */
  private buffer = Buffer.allocUnsafe(64 * 1024);
  private used = 0;
  /** Where the open object's valid lines are in `buffer`. */
  private validStarts = new Int32Array(1024);
  private validEnds = new Int32Array(1024);
  private validCount = 0;
  private firstArrival = 0;
  private firstHour = 0;
  private lastKeySecond = Number.NaN;
  private lastKeyLow = 0;

  constructor(
    private readonly options: FirehoseWriterOptions,
    /** Called just before an object is closed, while its lines can still be read (duplicate sources). */
    private readonly beforeClose: (writer: FirehoseWriter) => void = () => undefined,
  ) {}

  /** Appends one line (without its `\n`) that reached Firehose at `arrival` (Unix seconds). */
  add(line: string | Buffer, arrival: number): void {
    this.rollByTime(arrival);
    const at = this.used;
    this.reserve(at + (typeof line === 'string' ? line.length * 3 : line.length) + 1);
    const length =
      typeof line === 'string' ? this.buffer.write(line, at, 'utf8') : line.copy(this.buffer, at);
    this.append(at, length, arrival, false);
  }

  /** Appends a valid event line, `source[start, end)`; valid lines are the originals duplicates copy. */
  addValid(source: Buffer, start: number, end: number, arrival: number): void {
    this.rollByTime(arrival);
    const at = this.used;
    this.reserve(at + end - start + 1);
    // A view + set is cheaper than Buffer#copy for lines this short.
    this.buffer.set(new Uint8Array(source.buffer, source.byteOffset + start, end - start), at);
    this.append(at, end - start, arrival, true);
  }

  /** Valid lines in the open object so far. */
  get validLines(): number {
    return this.validCount;
  }

  /** A copy of the open object's `i`-th valid line (no `\n`). */
  validLine(i: number): Buffer {
    return Buffer.from(this.buffer.subarray(this.validStarts[i], this.validEnds[i]));
  }

  private rollByTime(arrival: number): void {
    if (this.linesInObject === 0) return;
    const old = arrival - this.firstArrival >= this.options.objectMaxSeconds;
    if (old || Math.floor(arrival / 3600) !== this.firstHour) this.close();
  }

  /** Books the line just encoded at `at`, rolling over first if it does not fit the buffer size. */
  private append(at: number, length: number, arrival: number, valid: boolean): void {
    let start = at;
    this.buffer[at + length] = 0x0a;
    if (this.linesInObject > 0 && at + length + 1 > this.options.objectMaxBytes) {
      this.used = at;
      this.close();
      this.buffer.copyWithin(0, at, at + length + 1);
      start = 0;
    }
    if (this.linesInObject === 0) {
      this.firstArrival = arrival;
      this.firstHour = Math.floor(arrival / 3600);
    }
    if (valid) {
      if (this.validCount === this.validStarts.length) {
        const starts = new Int32Array(this.validCount * 2);
        const ends = new Int32Array(this.validCount * 2);
        starts.set(this.validStarts);
        ends.set(this.validEnds);
        this.validStarts = starts;
        this.validEnds = ends;
      }
      this.validStarts[this.validCount] = start;
      this.validEnds[this.validCount] = start + length;
      this.validCount++;
    }
    this.used = start + length + 1;
    this.linesInObject++;
  }

  /** Closes the open object, if it has any line. */
  close(): void {
    if (this.linesInObject === 0) return;
    this.beforeClose(this);
    const raw = this.buffer.subarray(0, this.used);
    const body = this.options.gzip ? gzipSync(raw, { level: 1 }) : Buffer.from(raw);
    this.ready.push({
      key: firehoseKey(this.options.streamName, this.firstArrival, this.objectUuid(), this.options.gzip),
      body,
      index: this.objectIndex,
      lines: this.linesInObject,
      uncompressedBytes: raw.length,
    });
    this.objectIndex++;
    this.linesInObject = 0;
    this.validCount = 0;
    this.used = 0;
  }

  private reserve(bytes: number): void {
    if (bytes <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < bytes) capacity *= 2;
    const bigger = Buffer.allocUnsafe(capacity);
    this.buffer.copy(bigger, 0, 0, this.used);
    this.buffer = bigger;
  }

  /**
   * A random v4 uuid; when an earlier object got the same second in its key, its first 8 hex digits are
   * raised above that object's so the keys still sort in write order.
   */
  private objectUuid(): string {
    const uuid = this.options.keyRng.uuid();
    const second = Math.floor(this.firstArrival);
    let low: number;
    if (second === this.lastKeySecond) {
      low = this.lastKeyLow + 1 + this.options.keyRng.int(256);
      if (low > 0xffffffff) {
        throw new InvalidInputError(
          `generate: more than 8 million objects in the second ${second}; raise objectMaxBytes or spread the events over more hours`,
        );
      }
    } else {
      // Top bit clear leaves room for the objects that may follow in the same second.
      low = parseInt(uuid.slice(0, 8), 16) & 0x7fffffff;
    }
    this.lastKeySecond = second;
    this.lastKeyLow = low;
    return toHex8(low) + uuid.slice(8);
  }
}
