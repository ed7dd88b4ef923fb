import { randomBytes } from 'node:crypto';
import { AthenaClient } from '@aws-sdk/client-athena';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SFNClient } from '@aws-sdk/client-sfn';
import { AthenaEngine } from '../adapters/aws/athena-engine';
import { remoteExecutionName, StepFunctionsOrchestrator } from '../adapters/aws/step-functions-orchestrator';
import { ExitCode, UsageError, type CliIo } from './io';
import { formatRows } from './format';
import { fileSink, stdoutSink } from './query/sink';
import { reportError, reportRun } from './commands/run';
import type { BatchMode, ExecutionResult } from '../ports/orchestrator';
import { KinesisProducer } from './aws/kinesis-producer';
import { produceGenerated } from './aws/produce';
import { generateOptions } from './generate-options';
import type { AwsFlags, BackfillFlags, ForgetFlags, ProduceFlags, QueryFlags, RunFlags } from './main';

type Progress = (message: string) => void;

export interface AwsClientConfig {
  region: string;
  profile?: string;
}

/**
 * The region and profile for the AWS clients, as the AWS CLI resolves them: --region, then AWS_REGION, then
 * AWS_DEFAULT_REGION (which the SDK alone ignores), then the profile's region in ~/.aws/config; --profile,
 * else AWS_PROFILE (the SDK reads it). No region anywhere is a usage error (exit 2), before any call.
 */
export async function awsClientConfig(flags: AwsFlags, env: NodeJS.ProcessEnv = process.env): Promise<AwsClientConfig> {
  const profile = flags.profile !== undefined ? { profile: flags.profile } : {};
  const explicit = [flags.region, env.AWS_REGION, env.AWS_DEFAULT_REGION].find((r) => r !== undefined && r.trim() !== '');
  if (explicit !== undefined) return { region: explicit, ...profile };
  try {
    // Reads the profile's `region` from the shared config file; sends nothing.
    const region = await new SFNClient(profile).config.region();
    if (region) return { region, ...profile };
  } catch {
    // fall through: no region configured
  }
  const where = flags.profile ?? env.AWS_PROFILE ?? 'default';
  throw new UsageError(`no AWS region: pass --region, set AWS_REGION (or AWS_DEFAULT_REGION), or set region in the ${where} profile of ~/.aws/config`);
}

export async function produceCommand(io: CliIo, flags: ProduceFlags, progress: Progress): Promise<number> {
  const producer = new KinesisProducer({
    client: new KinesisClient(await awsClientConfig(flags)),
    streamName: flags.stream,
    onProgress: (s) => progress(`sent ${s.records} records (${s.calls} PutRecords, ${s.retriedRecords} retried)`),
  });
  const summary = await produceGenerated(producer, generateOptions(flags, progress));
  io.out(JSON.stringify({ ...summary, records_sent: producer.stats.records, retried_records: producer.stats.retriedRecords }));
  return ExitCode.ok;
}

/**
 * run / backfill / replay against the deployed state machine: a manual execution with the same input the
 * local runtime gets (src/pipeline/run-input.ts) and a deterministic name, followed to its end.
 */
export async function remoteRunCommand(
  io: CliIo,
  flags: RunFlags & Partial<Pick<BackfillFlags, 'attempt'>>,
  input: { readonly mode: BatchMode; readonly from?: string; readonly to?: string } & Record<string, string>,
  progress: Progress,
): Promise<number> {
  const mode = input.mode;
  const name = remoteExecutionName({ mode, from: input.from, to: input.to, at: new Date(), attempt: flags.attempt ?? 1 });
  const orchestrator = await orchestratorFor(flags, progress);
  let result: ExecutionResult;
  try {
    result = await orchestrator.execute({ name, input });
  } catch (error) {
    // Credentials, permissions, a missing state machine, the network: the same report shape, exit 1.
    return reportError(io, error, mode, name, flags.json === true);
  }
  return reportRun(io, result, flags.json === true, mode);
}

/** The Step Functions orchestrator of `--state-machine-arn`, in the region the ARN names. */
async function orchestratorFor(flags: AwsFlags & { stateMachineArn?: string }, progress: Progress): Promise<StepFunctionsOrchestrator> {
  const arn = flags.stateMachineArn ?? '';
  const config = await awsClientConfig(flags);
  const arnRegion = arn.split(':')[3];
  if (arnRegion !== config.region) throw new UsageError(`--state-machine-arn is in ${arnRegion} but the region is ${config.region}: pass --region ${arnRegion}`);
  return new StepFunctionsOrchestrator({ client: new SFNClient(config), stateMachineArn: arn, progress });
}

/**
 * `forget --state-machine-arn ARN --user UUID`: an execution of the deployed forget state machine
 * (state-machines/forget.asl.json) with `{"user": "<uuid>"}`, followed to its end. Its name never holds the id
 * (a minute and a random suffix: forgetting is idempotent, so a repeat is a new execution). Step Functions
 * keeps the input, and so the id, in the execution's history (docs/operations.md#forgetting-a-user).
 * Exit 0 forgotten or nothing to do, 3 when a run held the lease, 1 when the execution failed.
 */
export async function remoteForgetCommand(io: CliIo, flags: ForgetFlags, progress: Progress): Promise<number> {
  const name = `forget-${new Date().toISOString().slice(0, 16).replace(/[-:]/g, '')}-${randomBytes(4).toString('hex')}`;
  const orchestrator = await orchestratorFor(flags, progress);
  let result: ExecutionResult;
  try {
    result = await orchestrator.execute({ name, input: { user: flags.user } });
  } catch (error) {
    io.err(`forget failed to start or finish: ${error instanceof Error ? error.message : String(error)}`);
    return ExitCode.failed;
  }
  const output = result.output ?? {};
  if (result.status !== 'SUCCEEDED') {
    if (flags.json) io.out(JSON.stringify({ status: 'failed', execution: name, error: result.error ?? null, cause: result.cause ?? null }));
    io.err(`forget failed (${result.error ?? 'Error'}: ${result.cause ?? 'no cause given'}); the user is already suppressed by the erasure record if it was written: run the forget again (execution ${name})`);
    return ExitCode.failed;
  }
  if (output.acquired === false) {
    if (flags.json) io.out(JSON.stringify({ status: 'skipped', holder: output.holder ?? null, execution: name }));
    io.err(`forget skipped: another run holds the lease (${typeof output.holder === 'string' ? output.holder : 'unknown'}); nothing was removed`);
    return ExitCode.skipped;
  }
  if (flags.json) io.out(JSON.stringify({ ...output, execution: name }));
  else io.out(`${JSON.stringify(output.status)}: removed ${JSON.stringify(output.removed)} (record erasures/log/<user_hash>.json, user_hash ${JSON.stringify(output.user_hash)}, execution ${name})`);
  return ExitCode.ok;
}

export async function athenaQueryCommand(io: CliIo, sql: string, flags: QueryFlags): Promise<number> {
  const format = flags.format === 'parquet' ? 'table' : flags.format;
  const engine = new AthenaEngine({ client: new AthenaClient(await awsClientConfig(flags)), workGroup: flags.workgroup ?? '', database: flags.database });
  try {
    const text = formatRows(await engine.query({ name: 'query', text: sql }), format);
    const sink = flags.output !== undefined ? await fileSink(flags.output) : stdoutSink(io);
    await sink.write(`${text}\n`);
    await sink.close();
  } finally {
    await engine.close();
  }
  return ExitCode.ok;
}
