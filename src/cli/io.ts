/** Machine output goes to stdout; people's progress and errors to stderr. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** All of stdin as text (`query -`); tests pass their own. */
  readStdin?(): Promise<string>;
  /** Raw stderr writes (no newline added) and whether stderr is a terminal: the live progress line. */
  readonly writeErr?: (text: string) => void;
  readonly stderrIsTTY?: boolean;
  readonly columns?: number;
}

async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  readStdin: readProcessStdin,
  writeErr: (text) => process.stderr.write(text),
  get stderrIsTTY() {
    return process.stderr.isTTY === true;
  },
  get columns() {
    return process.stderr.columns;
  },
};

/** Exit codes: documented in README "CLI". */
export const ExitCode = { ok: 0, failed: 1, usage: 2, skipped: 3 } as const;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
