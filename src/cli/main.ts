import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generate, type GenerateOptions } from '../generator/generate';
import { hasObject } from '../ports/object-store';
import { openLocalLake, type LocalLake } from '../runtime/local-lake';
import { parseUtcDate } from '../time/utc';
import { ExitCode, processIo, UsageError, type CliIo } from './io';
import { formatRows, type OutputFormat } from './format';
import { reportRun, runUntilDrained } from './commands/run';
import { queryCommand, queryLake } from './commands/query';
import { lakeStatus } from './commands/status';
import type { RunSummary } from '../pipeline/run-summary';
import { AthenaClient } from '@aws-sdk/client-athena';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { AthenaEngine } from '../adapters/aws/athena-engine';
import { SFNClient } from '@aws-sdk/client-sfn';
import { KinesisProducer } from './aws/kinesis-producer';
import { produceGenerated } from './aws/produce';
import { remoteExecutionName, StepFunctionsOrchestrator } from '../adapters/aws/step-functions-orchestrator';

const USAGE = `usage: eventlake <command> [options]

commands:
  generate --events N [--start ISO] [--hours H] [--seed S] [--duplicates R] [--malformed R] [--plain]
                             write realistic Firehose-style raw objects under <lake>/raw/
  run [--json]               one scheduled micro-batch (what EventBridge triggers on AWS)
  backfill --from YYYY-MM-DD --to YYYY-MM-DD [--json]
                             reprocess the raw objects of that range (same state machine)
  query "<SQL>" [--format table|csv|json]
                             SQL over the views events and quarantine
  status [--json]            checkpoint, backlog, table sizes, last run
  demo [--events N]          generate a day of traffic, run the schedule, show two analyst queries

against AWS (after cdk deploy; see docs/deploy.md):
  produce --stream NAME [generate options]
                             send generated traffic to the Kinesis stream (PutRecords, <= 500 records / 5 MiB)
  run --state-machine-arn ARN [--json]
  backfill --state-machine-arn ARN --from YYYY-MM-DD --to YYYY-MM-DD [--attempt N] [--json]
                             start the deployed state machine (deterministic name) and follow it
  query "<SQL>" --workgroup NAME [--database DB] [--format ...]
                             the same query through Athena

common options:
  --lake DIR                 the lake folder (default ./lake)
  --region REGION            AWS region for the AWS commands (default: AWS_REGION)

exit codes: 0 ok (committed, or nothing to do), 1 run failed (nothing committed), 2 usage error,
            3 skipped (another run holds the lease)`;

/** Demo default: a day at 1/100 of the seeds' 1M events/hour, so `npm start` finishes in seconds. */
export const DEMO_EVENTS = 240_000;

const OPTIONS = {
  lake: { type: 'string', default: 'lake' },
  json: { type: 'boolean', default: false },
  format: { type: 'string', default: 'table' },
  events: { type: 'string' },
  start: { type: 'string' },
  hours: { type: 'string', default: '24' },
  seed: { type: 'string', default: '1' },
  duplicates: { type: 'string', default: '0.01' },
  malformed: { type: 'string', default: '0.001' },
  plain: { type: 'boolean', default: false },
  from: { type: 'string' },
  to: { type: 'string' },
  stream: { type: 'string' },
  'state-machine-arn': { type: 'string' },
  workgroup: { type: 'string' },
  database: { type: 'string', default: 'eventlake_dev' },
  region: { type: 'string' },
  attempt: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.err(`eventlake: ${(error as Error).message}\n\n${USAGE}`);
    return ExitCode.usage;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    io.err(USAGE);
    return values.help ? ExitCode.ok : ExitCode.usage;
  }
  const startedAt = Date.now();
  const progress = (message: string) => io.err(`[eventlake ${((Date.now() - startedAt) / 1000).toFixed(1)}s] ${message}`);
  let lake: LocalLake | undefined;
  try {
    const remote = await runAgainstAws(command, rest, values, io, progress);
    if (remote !== undefined) return remote;
    lake = await openLocalLake(values.lake, { progress });
    switch (command) {
      case 'generate': {
        const summary = await generate(lake.objects, generateOptions(values, progress));
        io.out(JSON.stringify(summary));
        return ExitCode.ok;
      }
      case 'run':
        return (await runUntilDrained(io, lake, { mode: 'scheduled' }, values.json)).code;
      case 'backfill':
        return (await runUntilDrained(io, lake, { mode: 'backfill', ...backfillRange(values) }, values.json)).code;
      case 'query': {
        const sql = rest.join(' ').trim();
        if (!sql) throw new UsageError('query needs SQL, e.g. eventlake query "SELECT count(*) FROM events"');
        io.out(await queryCommand(lake, sql, outputFormat(values.format)));
        return ExitCode.ok;
      }
      case 'status': {
        const status = await lakeStatus(lake);
        io.out(values.json ? JSON.stringify(status) : JSON.stringify(status, null, 2));
        return ExitCode.ok;
      }
      case 'demo':
        return await demo(lake, io, values, progress);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`eventlake: ${error.message}\n\n${USAGE}`);
      return ExitCode.usage;
    }
    const e = error as Error;
    io.err(`eventlake: ${e.name}: ${e.message}`);
    return ExitCode.failed;
  } finally {
    await lake?.close();
  }
}

/** The AWS counterparts; undefined when the command runs on the local lake. */
async function runAgainstAws(command: string, rest: string[], values: Values, io: CliIo, progress: (m: string) => void): Promise<number | undefined> {
  const arn = values['state-machine-arn'];
  if (command === 'produce') {
    if (!values.stream) throw new UsageError('produce needs --stream NAME (the Kinesis stream of the deployed stack)');
    const producer = new KinesisProducer({
      client: new KinesisClient(awsClientConfig(values)),
      streamName: values.stream,
      onProgress: (s) => progress(`sent ${s.records} records (${s.calls} PutRecords, ${s.retriedRecords} retried)`),
    });
    const summary = await produceGenerated(producer, generateOptions(values, progress));
    io.out(JSON.stringify({ ...summary, records_sent: producer.stats.records, retried_records: producer.stats.retriedRecords }));
    return ExitCode.ok;
  }
  if ((command === 'run' || command === 'backfill') && arn) {
    const range = command === 'backfill' ? backfillRange(values) : undefined;
    const attempt = numberOption('attempt', values.attempt, 1, (n) => Number.isInteger(n) && n >= 1, 'expected a whole number >= 1');
    const mode = command === 'run' ? 'scheduled' : 'backfill';
    const input: Record<string, unknown> = { mode, ...range };
    const name = remoteExecutionName({ mode, ...range, at: new Date(), attempt });
    const orchestrator = new StepFunctionsOrchestrator({ client: new SFNClient(awsClientConfig(values)), stateMachineArn: arn, progress });
    return reportRun(io, await orchestrator.execute({ name, input }), values.json);
  }
  if (command === 'query' && values.workgroup) {
    const sql = rest.join(' ').trim();
    if (!sql) throw new UsageError('query needs SQL, e.g. eventlake query "SELECT count(*) FROM events" --workgroup NAME');
    const format = outputFormat(values.format);
    const engine = new AthenaEngine({ client: new AthenaClient(awsClientConfig(values)), workGroup: values.workgroup, database: values.database });
    try {
      io.out(formatRows(await engine.query({ name: 'query', text: sql }), format));
    } finally {
      await engine.close();
    }
    return ExitCode.ok;
  }
  return undefined;
}

function awsClientConfig(values: Values): { region?: string } {
  return values.region ? { region: values.region } : {};
}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function numberOption(name: string, text: string | undefined, fallback: number, check: (n: number) => boolean, hint: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} ${text}: ${hint}`);
  return n;
}

/** --from and --to of a backfill, both required and both calendar dates. */
function backfillRange(values: Values): { from: string; to: string } {
  if (!values.from || !values.to) throw new UsageError('backfill needs --from YYYY-MM-DD and --to YYYY-MM-DD');
  parseDateOption('--from', values.from);
  parseDateOption('--to', values.to);
  return { from: values.from, to: values.to };
}

function parseDateOption(name: string, text: string): void {
  try {
    parseUtcDate(text);
  } catch {
    throw new UsageError(`${name} ${text}: expected a calendar date YYYY-MM-DD`);
  }
}

function outputFormat(text: string): OutputFormat {
  if (text === 'table' || text === 'csv' || text === 'json') return text;
  throw new UsageError(`--format ${text}: expected table, csv or json`);
}

function generateOptions(values: Values, progress: (m: string) => void, defaultEvents?: number): GenerateOptions {
  const hours = numberOption('hours', values.hours, 24, (n) => n > 0 && n <= 24 * 366, 'expected hours > 0');
  const start = values.start ? new Date(values.start) : new Date(Date.now() - hours * 3_600_000);
  if (Number.isNaN(start.getTime())) throw new UsageError(`--start ${values.start}: expected an ISO time, e.g. 2024-04-07T00:00:00Z`);
  return {
    events: numberOption('events', values.events, defaultEvents ?? Number.NaN, (n) => Number.isInteger(n) && n > 0, 'expected a whole number > 0'),
    start,
    hours,
    seed: numberOption('seed', values.seed, 1, Number.isInteger, 'expected an integer'),
    duplicateRate: numberOption('duplicates', values.duplicates, 0.01, (n) => n >= 0 && n <= 1, 'expected a rate between 0 and 1'),
    malformedRate: numberOption('malformed', values.malformed, 0.001, (n) => n >= 0 && n <= 1, 'expected a rate between 0 and 1'),
    gzip: !values.plain,
    onProgress: (p) => progress(`generated ${p.events} events in ${p.objects} objects`),
  };
}

async function demo(lake: LocalLake, io: CliIo, values: Values, progress: (m: string) => void): Promise<number> {
  if (await hasObject(lake.objects, 'raw/')) {
    progress(`${lake.root}/raw already has objects: running the schedule over what is new`);
  } else {
    const options = generateOptions(values, progress, DEMO_EVENTS);
    progress(`generating ${options.events} events over ${options.hours} h (1/100 of 1M events/hour) into ${lake.root}/raw`);
    await generate(lake.objects, options);
  }
  const started = Date.now();
  const { code, last } = await runUntilDrained(io, lake, { mode: 'scheduled' }, false);
  if (code !== ExitCode.ok || last === undefined) return code;
  const summary = last.output as unknown as RunSummary;
  const seconds = (Date.now() - started) / 1000;
  if (summary.lines_read > 0) progress(`${summary.lines_read} lines in ${seconds.toFixed(1)} s (${Math.round(summary.lines_read / seconds)} lines/s)`);
  for (const name of ['events_per_type_per_day', 'lessons_by_subscription']) {
    const sql = readFileSync(join(__dirname, '..', '..', 'sql', 'queries', `${name}.sql`), 'utf8');
    io.out(`\n-- sql/queries/${name}.sql\n${formatRows(await queryLake(lake, sql), 'table')}`);
  }
  io.out(`\nTry: npx eventlake query "SELECT reason, count(*) FROM quarantine GROUP BY 1" --lake ${values.lake}`);
  return ExitCode.ok;
}
