import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { ObjectNotFoundError } from '../../src/errors';
import type { ObjectInfo, ObjectStore } from '../../src/ports/object-store';

/** An in-memory ObjectStore for generator tests (the real folder store lives in src/adapters/local). */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();
  /** Keys in the order `put` was called. */
  readonly putOrder: string[] = [];

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    for (const key of keys) yield { key, sizeBytes: this.objects.get(key)!.length };
    await Promise.resolve();
  }

  get(key: string): Promise<Buffer> {
    const body = this.objects.get(key);
    return body === undefined ? Promise.reject(new ObjectNotFoundError(key)) : Promise.resolve(body);
  }

  async getStream(key: string): Promise<Readable> {
    return Readable.from([await this.get(key)]);
  }

  put(key: string, body: Buffer | string): Promise<void> {
    this.objects.set(key, typeof body === 'string' ? Buffer.from(body) : Buffer.from(body));
    this.putOrder.push(key);
    return Promise.resolve();
  }

  exists(key: string): Promise<boolean> {
    return Promise.resolve(this.objects.has(key));
  }

  delete(key: string): Promise<void> {
    this.objects.delete(key);
    return Promise.resolve();
  }

  async move(fromKey: string, toKey: string): Promise<void> {
    const body = await this.get(fromKey);
    this.objects.delete(fromKey);
    this.objects.set(toKey, body);
  }

  uri(key: string): string {
    return `memory://${key}`;
  }

  /** Keys in ascending order (the pipeline's arrival order). */
  sortedKeys(): string[] {
    return [...this.objects.keys()].sort();
  }
}

/** One raw line as stored: its bytes (without `\n`), object key and 1-based line number. */
export interface RawLine {
  readonly key: string;
  readonly lineNo: number;
  readonly bytes: Buffer;
}

/** The uncompressed body of an object (gunzipped when it starts with the gzip magic bytes). */
export function objectBody(body: Buffer): Buffer {
  return body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body) : body;
}

/** Every line of every object, in arrival order (key, then line). Each object must end with `\n`. */
export function readLines(store: MemoryObjectStore): RawLine[] {
  const lines: RawLine[] = [];
  for (const key of store.sortedKeys()) {
    const body = objectBody(store.objects.get(key)!);
    if (body.length > 0 && body[body.length - 1] !== 0x0a)
      throw new Error(`${key} does not end with a newline`);
    let start = 0;
    let lineNo = 0;
    for (let i = body.indexOf(0x0a); i !== -1; i = body.indexOf(0x0a, start)) {
      lines.push({ key, lineNo: ++lineNo, bytes: body.subarray(start, i) });
      start = i + 1;
    }
  }
  return lines;
}
