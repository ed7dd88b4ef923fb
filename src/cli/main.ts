import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { ExitCode, processIo, UsageError, type CliIo } from './io';
import { awsCommands, localCommands } from './lazy';
import { OUTPUT_FORMATS, type OutputFormat } from './format';
import { readSql, savedQueryList } from './query/sql-source';
import { progressReporter, type Progress } from './progress';
import { REPLAYABLE_REASONS } from '../contract/reasons';
import { REPLAY_TRANSFORMS } from '../contract/replay-transforms';
import { calendarDate, hours, integer, isoTime, nonEmpty, rate, retentionDays, stateMachineArn, userId, wholeNumber } from './options';

/** Demo default: a day at 1/100 of the seeds' 1M events/hour, so `npm start` finishes in seconds. */
export const DEMO_EVENTS = 240_000;

export const EXIT_CODES_HELP = `
Exit codes:
  0    ok (committed, or nothing to do)
  1    the run or query failed (nothing committed)
  2    usage error (the message says what to fix)
  3    skipped: another run holds the lease
  130  interrupted (Ctrl-C); 143 terminated (SIGTERM)`;

const QUERY_HELP = `
Every statement runs, in order; each one that returns rows is printed (table and csv results separated by
a blank line, json one array per result). Results stream, so a large export runs in bounded memory.
table shows NULL as NULL; csv leaves it empty; json and ndjson write null.

Examples:
  eventlake query "SELECT event_type, count(*) FROM events GROUP BY 1"
  eventlake query --file report.sql --format csv --output report.csv
  eventlake query --list
  eventlake query --saved daily_active_learners_by_language --format csv
  eventlake query --format parquet --output events.parquet "SELECT * FROM events"
  echo "SELECT count(*) FROM quarantine" | eventlake query -
  eventlake query -- "-- a comment first
  SELECT 1"`;

/** Options of `generate`, `demo` and `produce`, as parsed. */
export interface GenerateFlags {
  events: number;
  start?: Date;
  hours: number;
  seed: number;
  duplicates: number;
  malformed: number;
  plain?: boolean;
}

export interface LakeFlags {
  lake: string;
}

export interface RunFlags extends LakeFlags, AwsFlags {
  json?: boolean;
  stateMachineArn?: string;
}

export interface BackfillFlags extends RunFlags {
  from: string;
  to: string;
  attempt: number;
}

export interface ReplayFlags extends RunFlags {
  reason?: string;
  from?: string;
  to?: string;
  transform?: string;
  attempt: number;
}

export interface QueryFlags extends LakeFlags, AwsFlags {
  format: OutputFormat | 'parquet';
  output?: string;
  file?: string;
  saved?: string;
  list?: boolean;
  workgroup?: string;
  database: string;
}

export interface StatusFlags extends LakeFlags {
  json?: boolean;
}

export interface CompactFlags extends LakeFlags {
  from?: string;
  to?: string;
  targetMib: number;
  json?: boolean;
}

export interface ForgetFlags extends LakeFlags, AwsFlags {
  user: string;
  json?: boolean;
  stateMachineArn?: string;
}

export interface RetainFlags extends LakeFlags {
  dryRun?: boolean;
  json?: boolean;
  rawDays?: number | null;
  stagingDays?: number | null;
  quarantineDays?: number | null;
  curatedDays?: number | null;
}

export interface ProduceFlags extends GenerateFlags, AwsFlags {
  stream: string;
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const lakeOption = () => new Option('--lake <dir>', 'the lake folder').default('lake');
const regionOption = () => new Option('--region <region>', 'AWS region (default: AWS_REGION, then AWS_DEFAULT_REGION, then the profile)').argParser(nonEmpty('a region'));
const profileOption = () => new Option('--profile <name>', 'named profile of ~/.aws/config and credentials (default: AWS_PROFILE)').argParser(nonEmpty('a profile name'));

/** --region and --profile, as the AWS CLI has them. */
export interface AwsFlags {
  region?: string;
  profile?: string;
}

function addGenerateOptions(command: Command, events: 'required' | number): Command {
  const eventsOption = new Option('--events <n>', 'valid distinct events to generate').argParser(wholeNumber(1));
  if (events === 'required') eventsOption.makeOptionMandatory();
  else eventsOption.default(events);
  return command
    .addOption(eventsOption)
    .option('--start <iso>', 'first event time (default: <hours> before now)', isoTime)
    .option('--hours <h>', 'hours the events are spread over', hours, 24)
    .option('--seed <s>', 'same seed and options give byte-identical objects', integer, 1)
    .option('--duplicates <r>', 'extra exact-duplicate lines, as a fraction of --events', rate, 0.01)
    .option('--malformed <r>', 'extra malformed lines, as a fraction of --events', rate, 0.001)
    .option('--plain', 'write plain NDJSON instead of GZIP (Firehose) objects');
}

/** The command tree. Every action loads its implementation lazily (src/cli/lazy.ts). */
export function buildProgram(io: CliIo, setCode: (code: number) => void): Command {
  const program = new Command('eventlake');
  program
    .description('Deduplicated, validated, enriched Parquet event lake: the local runtime (DuckDB) and the deployed one (Step Functions + Athena)')
    .usage('<command> [options]')
    .version(version(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text),
      writeErr: (text) => io.err(text),
      outputError: (text, write) => write(text.replace(/^error: /, 'eventlake: ')),
    })
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true)
    .allowExcessArguments(false)
    .addHelpText('after', EXIT_CODES_HELP);

  /** Long work reports progress on stderr: a live line on a terminal, plain lines otherwise or with --json. */
  const withProgress = async (json: boolean | undefined, work: (io: CliIo, progress: Progress) => Promise<number>) => {
    const reporter = progressReporter(io, io.stderrIsTTY === true && json !== true);
    try {
      setCode(await work(reporter.io, reporter.progress));
    } finally {
      reporter.finish();
    }
  };

  addGenerateOptions(
    program.command('generate').description('write realistic Firehose-style raw objects under <lake>/raw/ and print a JSON summary with the expected outcome'),
    'required',
  )
    .addOption(lakeOption())
    .action((flags: GenerateFlags & LakeFlags) => withProgress(false, (out, progress) => localCommands().generateCommand(out, flags, progress)));

  program
    .command('run')
    .description('scheduled micro-batches over every raw object not processed yet (what EventBridge triggers on AWS)')
    .addOption(lakeOption())
    .option('--json', 'one JSON object per batch on stdout')
    .option('--state-machine-arn <arn>', 'run the deployed state machine instead of the local lake', stateMachineArn)
    .addOption(regionOption())
    .addOption(profileOption())
    .action(async (flags: RunFlags) => {
      await withProgress(flags.json, (out, progress) =>
        flags.stateMachineArn !== undefined ? awsCommands().remoteRunCommand(out, flags, { mode: 'scheduled' }, progress) : localCommands().runCommand(out, flags, progress),
      );
    });

  program
    .command('backfill')
    .description('reprocess the raw objects of a date range (by arrival prefix) with the same state machine')
    .requiredOption('--from <date>', 'first day, YYYY-MM-DD', calendarDate)
    .requiredOption('--to <date>', 'last day, YYYY-MM-DD', calendarDate)
    .addOption(lakeOption())
    .option('--json', 'one JSON object per batch on stdout')
    .option('--state-machine-arn <arn>', 'backfill through the deployed state machine', stateMachineArn)
    .option('--attempt <n>', 'with --state-machine-arn: rerun a range on purpose (a new execution name)', wholeNumber(1), 1)
    .addOption(regionOption())
    .addOption(profileOption())
    .action(async (flags: BackfillFlags) => {
      if (flags.from > flags.to) throw new UsageError(`--from ${flags.from} is after --to ${flags.to}`);
      await withProgress(flags.json, (out, progress) =>
        flags.stateMachineArn !== undefined
          ? awsCommands().remoteRunCommand(out, flags, { mode: 'backfill', from: flags.from, to: flags.to }, progress)
          : localCommands().backfillCommand(out, flags, progress),
      );
    });

  program
    .command('replay')
    .description('re-validate quarantined lines under the current contract (optionally through a documented fix) with the same state machine; lines that pass are merged once, the rest stay quarantined')
    .addOption(new Option('--reason <reason>', 'only the records of this reason').choices(REPLAYABLE_REASONS))
    .option('--from <date>', 'first day the records were quarantined, YYYY-MM-DD', calendarDate)
    .option('--to <date>', 'last day the records were quarantined, YYYY-MM-DD', calendarDate)
    .addOption(new Option('--transform <name>', 'apply this documented fix to each line first (default: none)').choices(REPLAY_TRANSFORMS.map((t) => t.name)))
    .addOption(lakeOption())
    .option('--json', 'one JSON object per batch on stdout')
    .option('--state-machine-arn <arn>', 'replay through the deployed state machine', stateMachineArn)
    .option('--attempt <n>', 'with --state-machine-arn: replay again within the same minute (a new execution name)', wholeNumber(1), 1)
    .addOption(regionOption())
    .addOption(profileOption())
    .addHelpText('after', `\nTransforms:\n${REPLAY_TRANSFORMS.map((t) => `  ${t.name.padEnd(24)} ${t.description}`).join('\n')}`)
    .action(async (flags: ReplayFlags) => {
      if (flags.from !== undefined && flags.to !== undefined && flags.from > flags.to) throw new UsageError(`--from ${flags.from} is after --to ${flags.to}`);
      await withProgress(flags.json, (out, progress) =>
        flags.stateMachineArn !== undefined
          ? awsCommands().remoteRunCommand(out, flags, replayInput(flags), progress)
          : localCommands().replayCommand(out, flags, progress),
      );
    });

  program
    .command('query')
    .description('SQL over the views events, quarantine and committed_batches, or a saved analyst query (with --workgroup: through Athena)')
    .argument('[sql...]', 'the SQL (quote it; - reads it from stdin; put it after -- when it starts with a -- comment)')
    .option('--file <path>', 'read the SQL from a file (- for stdin)')
    .option('--saved <name>', 'run a saved analyst query: sql/queries/<name>.sql (see --list)', nonEmpty('a saved query name'))
    .option('--list', 'list the saved analyst queries and what each answers')
    .addOption(new Option('--format <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .option('--output <path>', 'write the result to a file instead of stdout (required for parquet)')
    .addOption(lakeOption())
    .option('--workgroup <name>', 'run the SQL through Athena in this workgroup')
    .option('--database <db>', 'with --workgroup: the Glue database', 'eventlake_dev')
    .addOption(regionOption())
    .addOption(profileOption())
    .addHelpText('after', QUERY_HELP)
    .action(async (words: string[], flags: QueryFlags) => {
      if (flags.list === true) {
        if (words.length > 0 || flags.file !== undefined || flags.saved !== undefined) throw new UsageError('--list takes no SQL, --file or --saved');
        io.out(savedQueryList());
        return;
      }
      if (flags.format === 'parquet' && flags.output === undefined) throw new UsageError('--format parquet needs --output PATH');
      if (flags.format === 'parquet' && flags.workgroup !== undefined) throw new UsageError('--format parquet is for the local lake (Athena writes Parquet with UNLOAD)');
      const sql = await readSql(words, flags.file, io, flags.saved);
      if (flags.workgroup !== undefined) setCode(await awsCommands().athenaQueryCommand(io, sql, flags));
      else setCode(await localCommands().queryCommand(io, sql, flags));
    });

  program
    .command('status')
    .description('checkpoint, backlog, table sizes, run lease, last run')
    .addOption(lakeOption())
    .option('--json', 'one JSON object on stdout')
    .action(async (flags: StatusFlags) => setCode(await localCommands().statusCommand(io, flags)));

  program
    .command('compact')
    .description('rewrite each curated partition of many small files into few files of about --target-mib (local lake; takes the run lease)')
    .option('--from <date>', 'first event_date, YYYY-MM-DD', calendarDate)
    .option('--to <date>', 'last event_date, YYYY-MM-DD', calendarDate)
    .option('--target-mib <n>', 'target file size in MiB', wholeNumber(1), 128)
    .addOption(lakeOption())
    .option('--json', 'one JSON object on stdout')
    .action(async (flags: CompactFlags) => {
      if (flags.from !== undefined && flags.to !== undefined && flags.from > flags.to) throw new UsageError(`--from ${flags.from} is after --to ${flags.to}`);
      await withProgress(flags.json, (out, progress) => localCommands().compactCommand(out, flags, progress));
    });

  program
    .command('forget')
    .description("erase one user: their curated rows, quarantined lines and state; later runs and backfills keep them out (takes the run lease)")
    .requiredOption('--user <uuid>', "the user's id (user_uuid)", userId)
    .addOption(lakeOption())
    .option('--json', 'one JSON object on stdout')
    .option('--state-machine-arn <arn>', 'forget through the deployed forget state machine (stack output ForgetStateMachineArn)', stateMachineArn)
    .addOption(regionOption())
    .addOption(profileOption())
    .action(async (flags: ForgetFlags) => {
      await withProgress(flags.json, (out, progress) =>
        flags.stateMachineArn !== undefined ? awsCommands().remoteForgetCommand(out, flags, progress) : localCommands().forgetCommand(out, flags, progress),
      );
    });

  program
    .command('retain')
    .description('remove what is past each area\'s retention (raw, staging, quarantine, curated), as the AWS lifecycle rules do (local lake; takes the run lease)')
    .option('--dry-run', 'report what would be removed, remove nothing (takes no lease)')
    .option('--raw-days <n>', 'days raw objects are kept, or keep (default: <lake>/retention.json, else 90)', retentionDays)
    .option('--staging-days <n>', 'days a committed batch\'s staging files are kept, or keep (default 14)', retentionDays)
    .option('--quarantine-days <n>', 'days a committed batch\'s quarantine records are kept, or keep (default 365)', retentionDays)
    .option('--curated-days <n>', 'days of event_date the curated table keeps, or keep (default keep)', retentionDays)
    .addOption(lakeOption())
    .option('--json', 'one JSON object on stdout')
    .action(async (flags: RetainFlags) => {
      await withProgress(flags.json, (out, progress) => localCommands().retainCommand(out, flags, progress));
    });

  addGenerateOptions(program.command('demo').description('generate a day of traffic, run the schedule, show two analyst queries (what npm start runs)'), DEMO_EVENTS)
    .addOption(lakeOption())
    .action((flags: GenerateFlags & LakeFlags) => withProgress(false, (out, progress) => localCommands().demoCommand(out, flags, progress)));

  addGenerateOptions(
    program
      .command('produce')
      .description('send generated traffic to the Kinesis stream of a deployed stack (PutRecords, <= 500 records / 5 MiB)')
      .requiredOption('--stream <name>', 'the Kinesis stream of the deployed stack', nonEmpty('a stream name')),
    'required',
  )
    .addOption(regionOption())
    .addOption(profileOption())
    .action((flags: ProduceFlags) => withProgress(false, (out, progress) => awsCommands().produceCommand(out, flags, progress)));

  return program;
}

/** The execution input of a replay (src/pipeline/run-input.ts): only the options given. */
export function replayInput(flags: Pick<ReplayFlags, 'reason' | 'from' | 'to' | 'transform'>): { mode: 'replay' } & Record<string, string> {
  const input: { mode: 'replay' } & Record<string, string> = { mode: 'replay' };
  for (const name of ['reason', 'from', 'to', 'transform'] as const) if (flags[name] !== undefined) input[name] = flags[name];
  return input;
}

export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code: number = ExitCode.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; every other parse error (unknown command or option, missing or invalid value,
      // stray argument, no command at all) is a usage error, reported before any lake is opened.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (error instanceof UsageError) {
      io.err(`eventlake: ${error.message}\n(add --help for usage)`);
      return ExitCode.usage;
    }
    const e = error as Error;
    io.err(`eventlake: ${e.name}: ${e.message}`);
    return ExitCode.failed;
  }
}
