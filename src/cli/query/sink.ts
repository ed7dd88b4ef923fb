import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { UsageError, type CliIo } from '../io';

/** Where a result's text goes: stdout, or the --output file (written with backpressure). */
export interface TextSink {
  write(text: string): Promise<void>;
  close(): Promise<void>;
}

export function stdoutSink(io: CliIo): TextSink {
  return {
    // io.out ends each text with a newline; the writers hand over complete lines.
    write: (text) => {
      if (text !== '') io.out(text.replace(/\n$/, ''));
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

export async function fileSink(path: string): Promise<TextSink> {
  const stream = createWriteStream(path);
  try {
    await once(stream, 'open');
  } catch (error) {
    throw new UsageError(`--output ${path}: cannot write it (${(error as Error).message})`);
  }
  return {
    write: async (text) => {
      if (text !== '' && !stream.write(text)) await once(stream, 'drain');
    },
    close: async () => {
      stream.end();
      await finished(stream);
    },
  };
}
