/**
 * Raw object -> batches of lines, with bounded memory.
 *
 * - Format is sniffed from the first two bytes: 1f 8b is gzip (decompressed with node:zlib, several members
 *   allowed), anything else is plain NDJSON (binary garbage included: its "lines" then fail validation one by
 *   one). An object of at most WHOLE_OBJECT_MAX_BYTES is read whole and decompressed in one call (at most
 *   WHOLE_GUNZIP_MAX_BYTES out); a bigger one, or one that does not decompress in one call, streams. Both
 *   ways give the same lines and the same errors.
 * - Lines are split on `\n` only. A `\r` before it stays in the line (validateLine strips it), a final line without
 *   `\n` is still a line, and a `\n` ending the object does not make an extra empty line. Line numbers (1-based,
 *   over the decompressed text) are the caller's to count: batches and lines come in object order.
 * - Batch element (`RawLine`): `{ bytes, sizeBytes }` for every line. A line longer than `maxLineBytes` is never
 *   buffered whole: `bytes` holds only its first RAW_KEEP_BYTES (64 KiB) and `sizeBytes` its real length, so
 *   `validateLine(line.bytes, { arrivalMs, sizeBytes: line.sizeBytes })` reports `too_large` with the real size and
 *   `toQuarantineRecord({ raw: line.bytes, rawSizeBytes: line.sizeBytes, ... })` records it.
 *   `sizeBytes > bytes.length` exactly when the line was cut.
 * - A corrupt or truncated gzip stream throws `UnreadableObjectError` once its bytes run out. Batches yielded
 *   before that came from the readable start of a broken object: a caller that quarantines the object as a whole
 *   (docs/contract.md#quarantine) must not commit them. Errors of the source itself (network, missing file)
 *   pass through as they are.
 * - Memory: a small object whole (<= 8 MiB as stored, <= 64 MiB decompressed); a bigger one streams: the
 *   current partial line (<= maxLineBytes, or the 64 KiB head of a long line) plus one batch (<= ~1000 lines /
 *   ~1 MiB, lines may share the stream's chunks) plus the stream buffers, and backpressure holds: nothing is
 *   read while the consumer is busy with a batch.
 */
import type { Readable, Writable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { InvalidInputError } from '../errors';
import { MAX_LINE_BYTES, RAW_KEEP_BYTES } from '../contract/limits';
import { UnreadableObjectError } from './errors';

/** One line of a raw object (see the file comment). */
export interface RawLine {
  /** The line without its `\n`; only its first RAW_KEEP_BYTES when `sizeBytes > bytes.length`. */
  readonly bytes: Buffer;
  /** The line's real length in bytes, without its `\n`. */
  readonly sizeBytes: number;
}

export interface ReadObjectOptions {
  /** Longest line kept whole; a longer one is cut to its head. Default MAX_LINE_BYTES + 1 (room for a `\r`). */
  readonly maxLineBytes?: number;
  /** Largest object (as stored) read whole; default WHOLE_OBJECT_MAX_BYTES, 0 streams every object. */
  readonly wholeObjectMaxBytes?: number;
  /** Most bytes a whole gzip object may decompress to in one call; default WHOLE_GUNZIP_MAX_BYTES. */
  readonly wholeGunzipMaxBytes?: number;
}

export const DEFAULT_MAX_LINE_BYTES = MAX_LINE_BYTES + 1;
export const BATCH_MAX_LINES = 1000;
export const BATCH_MAX_BYTES = 1024 * 1024;

const NEWLINE = 0x0a;
const GUNZIP_CHUNK_BYTES = 128 * 1024;
/**
 * An object of at most this many bytes (as stored) is read whole before its lines are split; a gzip one is then
 * decompressed in one call of at most WHOLE_GUNZIP_MAX_BYTES out. Streaming it instead (read stream, gunzip
 * stream, a chunk at a time through the async generators) took 562 ms of CPU for 100 objects of the 1M bench,
 * whole 459 ms (docs/performance.md). The stack's Firehose buffers 300 s or 128 MiB (cdk/constructs/ingestion.ts):
 * at ~1M events an hour an object is ~21 MB of lines, ~6 MB of gzip, so both caps hold it.
 */
export const WHOLE_OBJECT_MAX_BYTES = 8 * 1024 * 1024;
export const WHOLE_GUNZIP_MAX_BYTES = 64 * 1024 * 1024;

/** True when `firstBytes` starts with the gzip magic number 1f 8b. */
export function isGzip(firstBytes: Buffer): boolean {
  return firstBytes.length >= 2 && firstBytes[0] === 0x1f && firstBytes[1] === 0x8b;
}

type Source = Readable | AsyncIterable<Uint8Array | string>;

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new InvalidInputError(`readObjectLines: the source yielded ${typeof chunk}, expected bytes`);
}

/** The source's chunks, with the first ones (already read to sniff the format) put back in front. */
async function* replay(
  head: readonly Buffer[],
  rest: AsyncIterator<unknown> | undefined,
): AsyncGenerator<Buffer> {
  let finished = rest === undefined;
  try {
    yield* head;
    if (rest === undefined) return;
    for (;;) {
      const next = await rest.next();
      if (next.done === true) {
        finished = true;
        return;
      }
      const chunk = toBuffer(next.value);
      if (chunk.length > 0) yield chunk;
    }
  } finally {
    // Stopped early (consumer break, error downstream): release the source, e.g. destroy the Readable.
    if (!finished) await rest?.return?.();
  }
}

/** A zlib failure (code Z_DATA_ERROR, Z_BUF_ERROR, ...). Duck-typed: `instanceof Error` fails across realms. */
function isZlibError(error: unknown): error is { code: string; message: string } {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return typeof code === 'string' && code.startsWith('Z_') && typeof message === 'string';
}

/** Resolves when `stream` has taken `chunk` (its write callback) or was destroyed meanwhile. */
function written(stream: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('close', done);
      resolve();
    };
    stream.once('close', done);
    // A failed write is reported by the stream's 'error' event, which the reader below listens to.
    stream.write(chunk, done);
  });
}

/**
 * Decompressed chunks of a gzip stream; zlib failures become UnreadableObjectError, after every byte zlib
 * decompressed before the failure (the message says how many), so a broken object always reads the same way.
 *
 * Two things made that count depend on timing with a piped stream (the same truncated object gave "after 24295" or
 * "after 25351 decompressed bytes" from run to run):
 * - Node's zlib processes the last chunk with Z_FINISH when `end()` came before it was processed, and then the
 *   failure drops that chunk's output; without `end()` yet, the chunk is decompressed and the failure comes at the
 *   final flush. Here each chunk is written only after zlib took the one before, and `end()` only after the last.
 * - zlib destroys its stream on a failure, and a `for await` over a destroyed stream stops at once, dropping chunks
 *   it had not read yet. Here `read()` drains them (it still returns buffered chunks after a destroy).
 * Backpressure holds: zlib calls a write back only once its output is read below the high-water mark.
 */
async function* gunzip(compressed: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  // 128 KiB out per step instead of zlib's 16 KiB: an eighth of the chunks through the stream machinery.
  const decompress = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
  /** The first error, of zlib or of the source (`failed`: a source may throw anything, `undefined` too). */
  let failed = false;
  let failure: unknown;
  const fail = (error: unknown): void => {
    if (failed) return;
    failed = true;
    failure = error;
  };
  let ended = false;
  let wake = (): void => {};
  const signal = (): void => wake();
  decompress.on('readable', signal);
  decompress.on('end', () => {
    ended = true;
    signal();
  });
  decompress.on('error', (error) => {
    fail(error);
    signal();
  });
  const feed = async (): Promise<void> => {
    try {
      for await (const chunk of compressed) {
        if (decompress.destroyed) break;
        await written(decompress, chunk);
        if (decompress.destroyed) break;
      }
      if (!decompress.destroyed) decompress.end();
    } catch (error) {
      // The source failed (network, missing file): that error, as it is.
      fail(error);
      decompress.destroy();
      signal();
    }
  };
  void feed();
  let decompressedBytes = 0;
  try {
    for (;;) {
      const chunk = decompress.read() as Buffer | null;
      if (chunk !== null) {
        decompressedBytes += chunk.length;
        yield chunk;
        continue;
      }
      if (failed) break;
      if (ended) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = () => {};
    }
  } finally {
    // Also when the consumer stops early: the feeder then stops and releases the source.
    decompress.destroy();
  }
  if (isZlibError(failure)) {
    throw new UnreadableObjectError(
      `not a valid gzip stream: ${failure.message} (after ${decompressedBytes} decompressed bytes); re-send the object as complete gzip or plain NDJSON`,
      { cause: failure },
    );
  }
  // The source's own error (network, missing file), passed through as it is.
  throw failure as Error;
}

/**
 * Every chunk of the object, decompressed. The first chunks are read until the format is known and, when the
 * whole object fits WHOLE_OBJECT_MAX_BYTES, until its end: a small gzip object is then decompressed in one
 * synchronous call (up to WHOLE_GUNZIP_MAX_BYTES out) and a small plain one comes as one buffer. Anything else
 * (a bigger object, a gzip object that does not decompress in one go: corrupt, truncated, or larger than the
 * cap) streams, chunk by chunk, as it always did; a failed one-call attempt is streamed again from its bytes,
 * so it fails, or streams, exactly as a streamed object would.
 */
async function* objectBytes(source: Source, wholeMaxBytes: number, gunzipMaxBytes: number): AsyncGenerator<Buffer> {
  const iterator = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headBytes = 0;
  let exhausted = false;
  try {
    while (headBytes < 2 || headBytes <= wholeMaxBytes) {
      const next = await iterator.next();
      if (next.done === true) {
        exhausted = true;
        break;
      }
      const chunk = toBuffer(next.value);
      if (chunk.length === 0) continue;
      head.push(chunk);
      headBytes += chunk.length;
    }
  } catch (error) {
    await iterator.return?.();
    throw error;
  }
  const first = head[0];
  const firstTwo =
    first === undefined ? Buffer.alloc(0) : first.length >= 2 ? first : Buffer.concat(head).subarray(0, 2);
  const gzip = isGzip(firstTwo);
  if (exhausted) {
    const whole = head.length === 1 ? (first as Buffer) : Buffer.concat(head, headBytes);
    if (!gzip) {
      if (whole.length > 0) yield whole;
      return;
    }
    const decompressed = gunzipWhole(whole, gunzipMaxBytes);
    if (decompressed !== undefined) {
      if (decompressed.length > 0) yield decompressed;
      return;
    }
  }
  const chunks = replay(head, exhausted ? undefined : iterator);
  yield* gzip ? gunzip(chunks) : chunks;
}

/** `compressed` decompressed in one call, or undefined when that fails (broken gzip, or more than the cap out). */
function gunzipWhole(compressed: Buffer, maxBytes: number): Buffer | undefined {
  try {
    return gunzipSync(compressed, { maxOutputLength: maxBytes });
  } catch {
    return undefined;
  }
}

/**
 * Streams `source` (a raw object, gzip or plain NDJSON) as batches of lines in object order: at most
 * BATCH_MAX_LINES lines, and a batch is closed once it holds BATCH_MAX_BYTES. Empty objects and gzip of nothing
 * yield nothing. Throws UnreadableObjectError for corrupt or truncated gzip.
 */
export async function* readObjectLines(
  source: Source,
  options: ReadObjectOptions = {},
): AsyncGenerator<RawLine[]> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes < 1) {
    throw new InvalidInputError(
      `readObjectLines: maxLineBytes must be a positive integer, got ${maxLineBytes}`,
    );
  }
  const wholeMaxBytes = options.wholeObjectMaxBytes ?? WHOLE_OBJECT_MAX_BYTES;
  const gunzipMaxBytes = options.wholeGunzipMaxBytes ?? WHOLE_GUNZIP_MAX_BYTES;
  for (const [name, value, least] of [['wholeObjectMaxBytes', wholeMaxBytes, 0], ['wholeGunzipMaxBytes', gunzipMaxBytes, 1]] as const) {
    if (!Number.isSafeInteger(value) || value < least) {
      throw new InvalidInputError(`readObjectLines: ${name} must be an integer of at least ${least}, got ${value}`);
    }
  }
  const headLimit = Math.min(RAW_KEEP_BYTES, maxLineBytes);

  // The current line, not yet ended by `\n`.
  let parts: Buffer[] = [];
  let partsBytes = 0;
  /** Real size of the current line once it is longer than maxLineBytes (then `parts` hold only its head), else -1. */
  let cutSize = -1;

  let batch: RawLine[] = [];
  let batchBytes = 0;

  const push = (line: RawLine): void => {
    batch.push(line);
    batchBytes += line.bytes.length;
  };

  /** Adds `segment` (part of the current line) to the pending parts, cutting the line when it gets too long. */
  const append = (segment: Buffer): void => {
    if (cutSize >= 0) {
      cutSize += segment.length;
      return;
    }
    if (partsBytes + segment.length <= maxLineBytes) {
      parts.push(segment);
      partsBytes += segment.length;
      return;
    }
    // Too long: keep a copy of its first headLimit bytes (parts + segment hold more than that), count the rest.
    cutSize = partsBytes + segment.length;
    parts = [Buffer.concat([...parts, segment], headLimit)];
    partsBytes = headLimit;
  };

  /** Ends the current line. */
  const finish = (): void => {
    if (cutSize >= 0) {
      push({ bytes: Buffer.concat(parts, partsBytes), sizeBytes: cutSize });
    } else {
      const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, partsBytes);
      push({ bytes, sizeBytes: partsBytes });
    }
    parts = [];
    partsBytes = 0;
    cutSize = -1;
  };

  for await (const chunk of objectBytes(source, wholeMaxBytes, gunzipMaxBytes)) {
    let position = 0;
    while (position < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, position);
      const end = newline === -1 ? chunk.length : newline;
      if (newline !== -1 && partsBytes === 0 && cutSize < 0 && end - position <= maxLineBytes) {
        // Common case: the whole line is inside this chunk; no copy.
        push({ bytes: chunk.subarray(position, end), sizeBytes: end - position });
      } else {
        append(chunk.subarray(position, end));
        if (newline === -1) break;
        finish();
      }
      position = end + 1;
      if (batch.length >= BATCH_MAX_LINES || batchBytes >= BATCH_MAX_BYTES) {
        yield batch;
        batch = [];
        batchBytes = 0;
      }
    }
  }
  if (partsBytes > 0 || cutSize >= 0) finish();
  if (batch.length > 0) yield batch;
}
