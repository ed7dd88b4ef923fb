import type { CliIo } from './io';

export type Progress = (message: string) => void;

/**
 * Progress of long work (generate, run, backfill, demo) on stderr. Off a terminal (or with --json): one
 * plain line per message, `[eventlake 1.2s] message`. On a terminal: one live status line rewritten in
 * place (`\r`): elapsed time, the state machine's current state, events and objects generated with their
 * rate, and the latest message; other stderr output first clears it, and `finish` ends it with a newline.
 */
export function progressReporter(io: CliIo, live: boolean): { progress: Progress; io: CliIo; finish(): void } {
  const startedAt = Date.now();
  const elapsed = () => (Date.now() - startedAt) / 1000;
  const write = io.writeErr;
  if (!live || !write) {
    return { progress: (m) => io.err(`[eventlake ${elapsed().toFixed(1)}s] ${m}`), io, finish: () => undefined };
  }
  let shown = false;
  let state = '';
  let counts = '';
  const clear = () => {
    if (shown) write('\r\x1b[K');
    shown = false;
  };
  const width = () => Math.max(40, (io.columns ?? 100) - 1);
  const progress: Progress = (message) => {
    const seconds = elapsed();
    const step = /→ (\w+)/.exec(message);
    if (step?.[1]) state = step[1];
    const generated = /generated (\d+) events in (\d+) objects/.exec(message);
    if (generated) counts = `${generated[1]} events, ${generated[2]} objects, ${Math.round(Number(generated[1]) / Math.max(seconds, 0.001))} events/s`;
    const sent = /sent (\d+) records/.exec(message);
    if (sent) counts = `${sent[1]} records, ${Math.round(Number(sent[1]) / Math.max(seconds, 0.001))} records/s`;
    const parts = [`eventlake ${seconds.toFixed(1)}s`, state, counts, message.replace(/\s+/g, ' ')].filter((p) => p !== '');
    const line = parts.join(' | ');
    write(`\r\x1b[K${line.length > width() ? `${line.slice(0, width() - 1)}…` : line}`);
    shown = true;
  };
  const wrapped: CliIo = {
    ...io,
    err: (text) => {
      clear();
      io.err(text);
    },
  };
  return { progress, io: wrapped, finish: clear };
}
