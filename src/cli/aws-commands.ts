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
import type { AwsFlags, BackfillFlags, ProduceFlags, QueryFlags, RunFlags } from './main';

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
  const arn = flags.stateMachineArn ?? '';
  const mode = input.mode;
  const name = remoteExecutionName({ mode, from: input.from, to: input.to, at: new Date(), attempt: flags.attempt ?? 1 });
  const config = await awsClientConfig(flags);
  const arnRegion = arn.split(':')[3];
  if (arnRegion !== config.region) throw new UsageError(`--state-machine-arn is in ${arnRegion} but the region is ${config.region}: pass --region ${arnRegion}`);
  const orchestrator = new StepFunctionsOrchestrator({ client: new SFNClient(config), stateMachineArn: arn, progress });
  let result: ExecutionResult;
  try {
    result = await orchestrator.execute({ name, input });
  } catch (error) {
    // Credentials, permissions, a missing state machine, the network: the same report shape, exit 1.
    return reportError(io, error, mode, name, flags.json === true);
  }
  return reportRun(io, result, flags.json === true, mode);
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
