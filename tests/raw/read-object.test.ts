import { createReadStream } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { constants as zlibConstants, gunzipSync, gzipSync } from 'node:zlib';
import { MAX_LINE_BYTES, RAW_KEEP_BYTES } from '../../src/contract/limits';
import { validateLine } from '../../src/contract/validate-line';
import { UnreadableObjectError } from '../../src/raw/errors';
import {
  BATCH_MAX_BYTES,
  BATCH_MAX_LINES,
  isGzip,
  readObjectLines,
  WHOLE_OBJECT_MAX_BYTES,
  type RawLine,
  type ReadObjectOptions,
} from '../../src/raw/read-object';
import { ARRIVAL_MS, lessonEvent } from '../fixtures/contract/events';

const fixtures = path.join(__dirname, '..', 'fixtures', 'raw');

function fixture(name: string): Readable {
  return createReadStream(path.join(fixtures, name), { highWaterMark: 64 });
}

/** An async source of exactly these chunks, one per event-loop turn, like a network stream (a Readable may merge them). */
async function* chunks(...parts: (string | Buffer)[]): AsyncGenerator<Buffer> {
  for (const part of parts) {
    await tick();
    yield Buffer.from(part);
  }
}

async function readBatches(
  source: Readable | AsyncIterable<Buffer>,
  options?: ReadObjectOptions,
): Promise<RawLine[][]> {
  const batches: RawLine[][] = [];
  for await (const batch of readObjectLines(source, options)) batches.push(batch);
  return batches;
}

async function readTexts(source: Readable | AsyncIterable<Buffer>): Promise<string[]> {
  return (await readBatches(source)).flat().map((line) => line.bytes.toString('utf8'));
}

async function readError(source: Readable | AsyncIterable<Buffer>, options?: ReadObjectOptions): Promise<unknown> {
  try {
    await readBatches(source, options);
  } catch (error) {
    return error;
  }
  throw new Error('expected readObjectLines to throw');
}

/** `bytes` in pieces of `size` bytes (the last one shorter). */
function piecesOf(bytes: Buffer, size: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.subarray(at, at + size));
  return pieces;
}

/** A gzip object cut short: the first half of 5,000 lines' gzip. */
const TRUNCATED_GZIP = ((whole: Buffer) => whole.subarray(0, whole.length >> 1))(
  gzipSync(Array.from({ length: 5000 }, (_, i) => `{"n":${i}}`).join('\n')),
);

/** `object` as 512-byte chunks, counting how many the reader took so far. */
function counted(object: Buffer): { source: AsyncGenerator<Buffer>; taken: () => number; total: number } {
  let taken = 0;
  const pieces = piecesOf(object, 512);
  async function* source(): AsyncGenerator<Buffer> {
    for (const piece of pieces) {
      await tick();
      taken++;
      yield piece;
    }
  }
  return { source: source(), taken: () => taken, total: pieces.length };
}

/** Every line (text and size) and the error, if any, of reading `object` in 700-byte chunks with `options`. */
async function outcome(object: Buffer, options: ReadObjectOptions): Promise<{ lines: string[]; error?: string }> {
  const lines: string[] = [];
  try {
    for await (const batch of readObjectLines(chunks(...piecesOf(object, 700)), options)) {
      for (const line of batch) lines.push(`${line.sizeBytes}:${line.bytes.toString('latin1')}`);
    }
  } catch (error) {
    return { lines, error: `${(error as Error).name}: ${(error as Error).message}` };
  }
  return { lines };
}

describe('isGzip', () => {
  it.each([
    ['the gzip magic number', [0x1f, 0x8b, 0x08], true],
    ['a JSON object', [0x7b, 0x22], false],
    ['a single 1f byte', [0x1f], false],
    ['nothing', [], false],
  ])('tells %s', (_label, bytes, expected) => {
    // Act
    const gzip = isGzip(Buffer.from(bytes));

    // Assess
    expect(gzip).toBe(expected);
  });
});

describe('readObjectLines: formats', () => {
  it('reads plain NDJSON lines in order', async () => {
    // Act
    const texts = await readTexts(fixture('three-lines.ndjson'));

    // Assess
    expect(texts.map((t) => (JSON.parse(t) as { created_at: number }).created_at)).toEqual([
      1712511722, 1712511723, 1712511724,
    ]);
  });

  it('reads gzip to the same lines as the plain object', async () => {
    // Act
    const [gzip, plain] = await Promise.all([
      readTexts(fixture('three-lines.ndjson.gz')),
      readTexts(fixture('three-lines.ndjson')),
    ]);

    // Assess
    expect(gzip).toEqual(plain);
  });

  it('reads an object made of several gzip members', async () => {
    // Prepare
    const object = Buffer.concat([gzipSync('a\nb\n'), gzipSync('c\n')]);

    // Act
    const texts = await readTexts(chunks(object));

    // Assess
    expect(texts).toEqual(['a', 'b', 'c']);
  });

  it('yields nothing for an empty object', async () => {
    // Act
    const batches = await readBatches(fixture('empty.gz'));

    // Assess
    expect(batches).toEqual([]);
  });

  it('yields nothing, and no error, for a valid gzip of nothing', async () => {
    // Act
    const batches = await readBatches(fixture('gzip-of-nothing.gz'));

    // Assess
    expect(batches).toEqual([]);
  });

  it('throws UnreadableObjectError for a truncated gzip', async () => {
    // Act
    const error = await readError(fixture('truncated.gz'));

    // Assess
    expect(error).toBeInstanceOf(UnreadableObjectError);
    expect(error).toMatchObject({
      name: 'EventLake.UnreadableObject',
      message: expect.stringContaining('not a valid gzip stream: unexpected end of file') as unknown,
    });
  });

  it.each([
    ['whole', 1_000_000, {}],
    ['whole, then streamed again in 700-byte chunks', 700, {}],
    ['streamed in 700-byte chunks', 700, { wholeObjectMaxBytes: 0 }],
    ['streamed in 13-byte chunks', 13, { wholeObjectMaxBytes: 0 }],
  ])('counts every decompressed byte of a truncated gzip before it fails, every time: %s', async (_label, size, options) => {
    // Prepare: what zlib can read of the object at all (a sync flush in place of the missing end)
    const readable = gunzipSync(TRUNCATED_GZIP, { finishFlush: zlibConstants.Z_SYNC_FLUSH }).length;
    const pieces = piecesOf(TRUNCATED_GZIP, size);

    // Act: ten reads at once, as the slice workers interleave them
    const errors = await Promise.all(Array.from({ length: 10 }, () => readError(chunks(...pieces), options)));

    // Assess
    const counts = errors.map((error) => /after (\d+) decompressed bytes/.exec((error as Error).message)?.[1]);
    expect(counts).toEqual(Array.from({ length: 10 }, () => String(readable)));
  });

  it('throws UnreadableObjectError for gzip magic followed by garbage', async () => {
    // Act
    const error = await readError(fixture('corrupt.gz'));

    // Assess
    expect(error).toMatchObject({
      name: 'EventLake.UnreadableObject',
      message: expect.stringMatching(/^not a valid gzip stream: /) as unknown,
    });
  });

  it('throws UnreadableObjectError for garbage after a valid gzip member', async () => {
    // Act
    const error = await readError(chunks(gzipSync('a\n'), 'trailing text\n'));

    // Assess
    expect(error).toBeInstanceOf(UnreadableObjectError);
  });

  it('reads binary garbage that is not gzip as plain lines, each then invalid on its own', async () => {
    // Act
    const lines = (await readBatches(fixture('not-gzip.gz'))).flat();
    const results = lines.map((line, i) =>
      validateLine(line.bytes, { arrivalMs: ARRIVAL_MS, isFirstLine: i === 0 }),
    );

    // Assess
    expect(results.map((r) => (r.kind === 'invalid' ? r.reason : r.kind))).toEqual(['invalid_utf8', 'valid']);
  });

  it('passes an error of the source through unchanged', async () => {
    // Prepare
    const failure = new Error('connection reset');
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"a":1}\n');
      await tick();
      throw failure;
    }

    // Act
    const error = await readError(failing());

    // Assess
    expect(error).toBe(failure);
  });

  it('passes an error of the source of a gzip object through unchanged', async () => {
    // Prepare
    const failure = new Error('connection reset');
    const object = gzipSync('{"a":1}\n'.repeat(1000));
    async function* failing(): AsyncGenerator<Buffer> {
      yield object.subarray(0, 20);
      await tick();
      throw failure;
    }

    // Act
    const error = await readError(failing());

    // Assess
    expect(error).toBe(failure);
  });

  it('fails, and neither hangs nor ends as if complete, when the source of a streamed gzip object throws undefined', async () => {
    // Prepare
    const object = gzipSync('{"a":1}\n'.repeat(1000));
    async function* failing(): AsyncGenerator<Buffer> {
      yield object.subarray(0, 20);
      await tick();
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- what a careless source may do
      throw undefined;
    }

    // Act: readError throws itself when the read ends without an error
    const error = await readError(failing(), { wholeObjectMaxBytes: 0 });

    // Assess
    expect(error).toBeUndefined();
  });
});

describe('readObjectLines: whole objects', () => {
  it('reads a small object to its end before it gives the first batch', async () => {
    // Prepare: ~60 KB of gzip, far below WHOLE_OBJECT_MAX_BYTES
    const object = gzipSync(Array.from({ length: 20_000 }, (_, i) => `{"n":${i},"r":${(i * 7919) % 104729}}`).join('\n'));
    const { source, taken, total } = counted(object);

    // Act
    let takenAtFirstBatch = -1;
    for await (const batch of readObjectLines(source)) {
      expect(batch.length).toBeGreaterThan(0);
      takenAtFirstBatch = taken();
      break;
    }

    // Assess
    expect({ total: total > 10, object: object.length < WHOLE_OBJECT_MAX_BYTES, takenAtFirstBatch }).toEqual({
      total: true,
      object: true,
      takenAtFirstBatch: total,
    });
  });

  it('streams an object larger than wholeObjectMaxBytes: the first batch comes before the object is read', async () => {
    // Prepare
    const object = gzipSync(Array.from({ length: 20_000 }, (_, i) => `{"n":${i},"r":${(i * 7919) % 104729}}`).join('\n'));
    const { source, taken, total } = counted(object);

    // Act
    let takenAtFirstBatch = -1;
    for await (const batch of readObjectLines(source, { wholeObjectMaxBytes: 4096 })) {
      expect(batch.length).toBeGreaterThan(0);
      takenAtFirstBatch = taken();
      break;
    }

    // Assess
    expect(takenAtFirstBatch).toBeLessThan(total / 2);
  });

  const long = 'x'.repeat(300 * 1024);
  const objects: Record<string, Buffer> = {
    'plain NDJSON': Buffer.from('{"a":1}\n\n{"b":2}\r\n{"c":3}'),
    'plain, BOM and no final newline': Buffer.from('\ufeff{"a":1}\n{"b":2}'),
    gzip: gzipSync('{"a":1}\n{"b":2}\n'),
    'several gzip members': Buffer.concat([gzipSync('a\nb\n'), gzipSync('c\n')]),
    'gzip, then zero bytes': Buffer.concat([gzipSync('a\nb\n'), Buffer.alloc(10)]),
    'gzip, then text': Buffer.concat([gzipSync('a\nb\n'), Buffer.from('trailing text\n')]),
    'gzip cut short': TRUNCATED_GZIP,
    'gzip magic, then garbage': Buffer.from([0x1f, 0x8b, 1, 2, 3, 4, 5, 6]),
    'gzip of nothing': gzipSync(''),
    empty: Buffer.alloc(0),
    'gzip with a line longer than the limit': gzipSync(`a\n${long}\nb\n`),
    'gzip of 2 MB of short lines': gzipSync('{"n":12345}\n'.repeat(180_000)),
  };
  it.each(Object.keys(objects))('gives the same lines and errors whole as streamed: %s', async (name) => {
    // Prepare
    const object = objects[name] as Buffer;

    // Act
    const [whole, streamed] = await Promise.all([outcome(object, {}), outcome(object, { wholeObjectMaxBytes: 0 })]);

    // Assess
    expect(whole).toEqual(streamed);
  });

  it('streams a gzip object that decompresses to more than wholeGunzipMaxBytes, to the same lines', async () => {
    // Prepare: 2 MB of lines from ~10 KB of gzip
    const object = gzipSync('{"n":12345}\n'.repeat(180_000));

    // Act
    const [capped, streamed] = await Promise.all([
      outcome(object, { wholeGunzipMaxBytes: 64 * 1024 }),
      outcome(object, { wholeObjectMaxBytes: 0 }),
    ]);

    // Assess
    expect({ lines: capped.lines.length, same: capped.lines.every((line, i) => line === streamed.lines[i]), error: capped.error }).toEqual({
      lines: 180_000,
      same: true,
      error: undefined,
    });
  });

  it('rejects limits that are not integers', async () => {
    // Act
    const errors = await Promise.all(
      [{ wholeObjectMaxBytes: -1 }, { wholeGunzipMaxBytes: 0 }, { wholeObjectMaxBytes: 1.5 }].map(async (options) => {
        try {
          await readBatches(chunks('a\n'), options);
          return 'no error';
        } catch (error) {
          return (error as Error).message;
        }
      }),
    );

    // Assess
    expect(errors).toEqual([
      'readObjectLines: wholeObjectMaxBytes must be an integer of at least 0, got -1',
      'readObjectLines: wholeGunzipMaxBytes must be an integer of at least 1, got 0',
      'readObjectLines: wholeObjectMaxBytes must be an integer of at least 0, got 1.5',
    ]);
  });
});

describe('readObjectLines: line splitting', () => {
  it('keeps a final line that has no trailing newline', async () => {
    // Act
    const texts = await readTexts(chunks('a\nb'));

    // Assess
    expect(texts).toEqual(['a', 'b']);
  });

  it('does not make an extra line of a trailing newline', async () => {
    // Act
    const texts = await readTexts(chunks('a\nb\n'));

    // Assess
    expect(texts).toEqual(['a', 'b']);
  });

  it('keeps empty lines between lines, for the caller to count as blank', async () => {
    // Act
    const texts = await readTexts(chunks('a\n\n\nb\n'));

    // Assess
    expect(texts).toEqual(['a', '', '', 'b']);
  });

  it('joins lines split across chunks, a CR included', async () => {
    // Act
    const texts = await readTexts(chunks('{"a"', ':1}\r', '\n{"b":2}\r\n', '{', '}'));

    // Assess
    expect(texts).toEqual(['{"a":1}\r', '{"b":2}\r', '{}']);
  });

  it('gives the sizes of whole lines in bytes', async () => {
    // Act
    const lines = (await readBatches(chunks('é\nab\n'))).flat();

    // Assess
    expect(lines.map((l) => [l.bytes.length, l.sizeBytes])).toEqual([
      [2, 2],
      [2, 2],
    ]);
  });

  it('keeps BOM and CRLF for validateLine, which accepts them and counts the blanks', async () => {
    // Act
    const lines = (await readBatches(fixture('bom-crlf.ndjson'))).flat();
    const kinds = lines.map(
      (line, i) => validateLine(line.bytes, { arrivalMs: ARRIVAL_MS, isFirstLine: i === 0 }).kind,
    );

    // Assess
    expect(kinds).toEqual(['valid', 'blank', 'valid', 'blank', 'valid']);
  });
});

describe('readObjectLines: oversized lines', () => {
  it('cuts a line longer than maxLineBytes to its 64 KiB head and records its real size', async () => {
    // Prepare: 1 MiB line sent in 1000-byte chunks between two short lines
    const huge = Buffer.alloc(1024 * 1024, 'x');
    const parts = [Buffer.from('first\n'), ...piecesOf(huge, 1000), Buffer.from('\nlast\n')];

    // Act
    const lines = (await readBatches(chunks(...parts))).flat();

    // Assess
    expect(lines.map((l) => [l.bytes.length, l.sizeBytes])).toEqual([
      [5, 5],
      [RAW_KEEP_BYTES, 1024 * 1024],
      [4, 4],
    ]);
  });

  it('cuts a huge line that sits inside one chunk', async () => {
    // Prepare
    const object = Buffer.concat([Buffer.alloc(300_000, 'y'), Buffer.from('\nnext')]);

    // Act
    const lines = (await readBatches(chunks(object))).flat();

    // Assess
    expect(lines.map((l) => [l.bytes.length, l.sizeBytes, l.bytes.toString().slice(0, 2)])).toEqual([
      [RAW_KEEP_BYTES, 300_000, 'yy'],
      [4, 4, 'ne'],
    ]);
  });

  it('gives validateLine what it needs to report too_large with the real size', async () => {
    // Prepare
    const event = JSON.stringify(lessonEvent({ note: 'z'.repeat(400_000) }));
    const object = gzipSync(`${event}\n${JSON.stringify(lessonEvent())}\n`);

    // Act
    const lines = (await readBatches(chunks(object))).flat();
    const results = lines.map((line) =>
      validateLine(line.bytes, { arrivalMs: ARRIVAL_MS, sizeBytes: line.sizeBytes }),
    );

    // Assess
    expect(results).toEqual([
      {
        kind: 'invalid',
        reason: 'too_large',
        errors: [expect.stringContaining(`line: ${Buffer.byteLength(event)} bytes is larger than the limit`)],
      },
      expect.objectContaining({ kind: 'valid' }),
    ]);
  });

  it('keeps a line of exactly the default limit (256 KiB plus a CR) whole', async () => {
    // Prepare
    const line = Buffer.concat([Buffer.alloc(MAX_LINE_BYTES, 'a'), Buffer.from('\r')]);

    // Act
    const lines = (await readBatches(chunks(line, '\n'))).flat();

    // Assess
    expect(lines.map((l) => [l.bytes.length, l.sizeBytes])).toEqual([
      [MAX_LINE_BYTES + 1, MAX_LINE_BYTES + 1],
    ]);
  });

  it('honours a smaller maxLineBytes', async () => {
    // Act
    const lines = (
      await readBatches(chunks('0123456789\n01234567890123456789\n'), { maxLineBytes: 10 })
    ).flat();

    // Assess
    expect(lines.map((l) => [l.bytes.toString(), l.sizeBytes])).toEqual([
      ['0123456789', 10],
      ['0123456789', 20],
    ]);
  });

  it('rejects a maxLineBytes that is not a positive integer', async () => {
    // Act
    const error = await readBatches(chunks('a\n'), { maxLineBytes: 0 }).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ name: 'EventLake.InvalidInput' });
  });
});

describe('readObjectLines: streaming', () => {
  it('streams a 50,000-line gzip object in bounded batches, in order', async () => {
    // Prepare
    const text = Array.from({ length: 50_000 }, (_, i) => `{"n":${i}}`).join('\n');
    const object = gzipSync(text);

    // Act
    const batches = await readBatches(Readable.from([object]));

    // Assess
    const numbers = batches.flat().map((l) => (JSON.parse(l.bytes.toString()) as { n: number }).n);
    expect({
      count: numbers.length,
      inOrder: numbers.every((n, i) => n === i),
      maxLines: Math.max(...batches.map((b) => b.length)),
    }).toEqual({ count: 50_000, inOrder: true, maxLines: BATCH_MAX_LINES });
  });

  it('closes a batch once it holds about 1 MiB', async () => {
    // Prepare: 100 lines of 100 KiB
    const line = 'q'.repeat(100 * 1024);
    const object = `${Array.from({ length: 100 }, () => line).join('\n')}\n`;

    // Act
    const batches = await readBatches(chunks(object));

    // Assess
    const sizes = batches.map((b) => b.reduce((sum, l) => sum + l.bytes.length, 0));
    expect({
      lines: batches.flat().length,
      maxBatchBytes: Math.max(...sizes) <= BATCH_MAX_BYTES + line.length,
      batches: batches.length,
    }).toEqual({ lines: 100, maxBatchBytes: true, batches: 10 });
  });

  it('destroys the source when the consumer stops early', async () => {
    // Prepare
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < 100_000; i++) yield Buffer.from(`{"n":${i}}\n`);
      })(),
    );

    // Act
    for await (const batch of readObjectLines(source)) {
      expect(batch.length).toBeGreaterThan(0);
      break;
    }

    // Assess
    expect(source.destroyed).toBe(true);
  });

  it('destroys the source when the consumer stops inside the first chunk', async () => {
    // Prepare: one chunk of 5,000 lines, then more
    const first = Buffer.from('{"n":1}\n'.repeat(5000));
    const source = Readable.from([first, Buffer.from('{"n":2}\n')]);

    // Act
    for await (const batch of readObjectLines(source)) {
      expect(batch.length).toBe(BATCH_MAX_LINES);
      break;
    }

    // Assess
    expect(source.destroyed).toBe(true);
  });

  it('destroys the source of a gzip object when the consumer stops early', async () => {
    // Prepare
    const object = gzipSync(Array.from({ length: 20_000 }, (_, i) => `{"n":${i}}`).join('\n'));
    const source = Readable.from(piecesOf(object, 512));

    // Act
    for await (const batch of readObjectLines(source)) {
      expect(batch.length).toBeGreaterThan(0);
      break;
    }
    await new Promise((resolve) => setImmediate(resolve));

    // Assess
    expect(source.destroyed).toBe(true);
  });
});
