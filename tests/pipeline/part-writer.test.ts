import { ObjectNotFoundError } from '../../src/errors';
import { Layout } from '../../src/ports/layout';
import { PartWriter, partsOf } from '../../src/pipeline/part-writer';
import { MemoryObjectStore } from '../generator/memory-object-store';

const KEYS = Layout.quarantineSlice('b1', 3);

function text(store: MemoryObjectStore): string[] {
  return [...store.objects.keys()].sort().map((key) => `${key.slice(KEYS.prefix.length)}=${store.objects.get(key)!.toString('utf8')}`);
}

async function pushAll(writer: PartWriter, lines: readonly string[]): Promise<void> {
  for (const line of lines) {
    writer.push(line);
    await writer.flushIfFull();
  }
}

describe('PartWriter', () => {
  it('puts a part each time one holds maxBytes, and the rest on close', async () => {
    const store = new MemoryObjectStore();
    const writer = new PartWriter(store, KEYS, 6);

    await pushAll(writer, ['aaa', 'bbb', 'c', 'dddd']);
    expect(await writer.close()).toBe(2);

    // No empty part after a flush that ended exactly at the last line.
    expect(text(store)).toEqual(['00000.ndjson=aaa\nbbb\n', '00001.ndjson=c\ndddd\n']);
    expect(writer.length).toBe(4);
  });

  it('always leaves part 0, empty when nothing was pushed', async () => {
    const store = new MemoryObjectStore();
    expect(await new PartWriter(store, KEYS, 6).close()).toBe(1);
    expect(text(store)).toEqual(['00000.ndjson=']);
  });

  it('rolls back into a part already put, and close removes the parts after it', async () => {
    const store = new MemoryObjectStore();
    const writer = new PartWriter(store, KEYS, 6);
    await pushAll(writer, ['keep']);
    const mark = writer.mark();
    await pushAll(writer, ['xx', 'yyyyyy', 'zzzzzz']);
    expect(store.objects.size).toBe(3);

    await writer.rollback(mark);
    await pushAll(writer, ['ok']);
    expect(await writer.close()).toBe(1);

    expect(text(store)).toEqual(['00000.ndjson=keep\nok\n']);
    expect(writer.length).toBe(2);
  });

  it('removes the parts of an earlier, longer attempt at the same slice', async () => {
    const store = new MemoryObjectStore();
    const first = new PartWriter(store, KEYS, 4);
    await pushAll(first, ['1111', '2222', '3333']);
    await first.close();
    expect(store.objects.size).toBe(3);

    const retry = new PartWriter(store, KEYS, 4);
    await pushAll(retry, ['1111']);
    await retry.close();

    expect(text(store)).toEqual(['00000.ndjson=1111\n']);
    expect(await partsOf(store, KEYS)).toEqual([KEYS.key(0)]);
  });

  it('gives its contents back part by part without putting the last one', async () => {
    const store = new MemoryObjectStore();
    const writer = new PartWriter(store, KEYS, 4);
    await pushAll(writer, ['1111', '22']);

    const parts: string[] = [];
    for await (const part of writer.contents()) parts.push(part.toString('utf8'));

    expect(parts).toEqual(['1111\n', '22\n']);
    expect([...store.objects.keys()]).toEqual([KEYS.key(0)]);
  });

  it('names a stream that was never closed as missing', async () => {
    await expect(partsOf(new MemoryObjectStore(), KEYS)).rejects.toBeInstanceOf(ObjectNotFoundError);
  });
});
