import { Readable } from 'node:stream';
import { generate, type GenerateOptions, type GenerateSummary } from '../../generator/generate';
import type { ObjectInfo, ObjectStore } from '../../ports/object-store';
import { readObjectLines } from '../../raw/read-object';
import type { KinesisProducer } from './kinesis-producer';

/**
 * Feeds generated traffic to Kinesis: the generator writes Firehose-shaped objects, and this write-only
 * store turns each object back into its lines and sends them, in order, as records.
 */
class ProducerSink implements ObjectStore {
  constructor(private readonly producer: KinesisProducer) {}

  async put(_key: string, body: Buffer | string): Promise<void> {
    const source = Readable.from([typeof body === 'string' ? Buffer.from(body, 'utf8') : body]);
    for await (const batch of readObjectLines(source)) {
      for (const line of batch) await this.producer.send(line.bytes);
    }
  }

  list(): AsyncIterable<ObjectInfo> {
    return writeOnly('list');
  }
  get(): Promise<Buffer> {
    return writeOnly('get');
  }
  getStream(): never {
    return writeOnly('getStream');
  }
  exists(): Promise<boolean> {
    return writeOnly('exists');
  }
  delete(): Promise<void> {
    return writeOnly('delete');
  }
  move(): Promise<void> {
    return writeOnly('move');
  }
  uri(): string {
    return writeOnly('uri');
  }
}

function writeOnly(method: string): never {
  throw new Error(`ProducerSink is write-only: ${method} is not available`);
}

export async function produceGenerated(producer: KinesisProducer, options: GenerateOptions): Promise<GenerateSummary> {
  const summary = await generate(new ProducerSink(producer), { ...options, gzip: false });
  await producer.flush();
  return summary;
}
