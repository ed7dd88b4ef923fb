/**
 * What the offline proofs of the micro-batch's sibling state machines (compaction, forget) share: an account
 * of fakes set up from the synthesized app, a micro-batch to fill it, and the judgement of the sibling's own
 * calls against the template's IAM (denied calls, and grants of its own roles it never used).
 */
import { join } from 'node:path';
import { FolderObjectStore } from '../../src/adapters/local/folder-object-store';
import { PayloadMeter } from '../fakes/payload-meter';
import {
  evaluateCalls,
  lambdaFunctions,
  loadUnexercisedGrants,
  renderStateMachine,
  resolverFor,
  synthesizeForVerify,
  unusedGrants,
  type CfnTemplate,
  type FakeEnvironment,
  type Grant,
  type RecordedCall,
} from '../template';
import { FakeAccount } from './fake-account';
import { execute, recordedCalls, taskHandlers } from './verify-aws';

export type SiblingMachine = 'compaction' | 'forget';

/** The roles only `machine` uses: its state machine's and its own Lambdas' (those running `tasks`). */
export function machineRoles(template: CfnTemplate, assetDir: string, env: Partial<FakeEnvironment>, machine: SiblingMachine, tasks: readonly string[]): Set<string> {
  const roles = new Set(lambdaFunctions(template, env).filter((l) => tasks.includes(l.task)).map((l) => l.roleLogicalId));
  roles.add(renderStateMachine(template, assetDir, { env, machine }).roleLogicalId);
  return roles;
}

/** The account of one proof, with the micro-batch and the sibling machine ready to execute. */
export interface MachineProof {
  readonly account: FakeAccount;
  /** The raw bucket, where `generate` puts traffic. */
  readonly raw: FolderObjectStore;
  readonly meter: PayloadMeter;
  /** Executes the micro-batch (`allowFailure`: a failed execution is returned, not thrown). */
  readonly runMicrobatch: (name: string, input: Record<string, unknown>, allowFailure?: boolean) => ReturnType<typeof execute>;
  /** Executes the sibling machine; its calls are the ones `judge` looks at. */
  readonly runMachine: (name: string, input: Record<string, unknown>) => ReturnType<typeof execute>;
  /** The sibling's own calls since `runMachine` started, judged against the template's IAM. */
  readonly judge: () => Promise<IamJudgement>;
}

export interface IamJudgement {
  /** AWS calls the sibling's execution made (its Lambdas', its Athena statements', Athena's on its behalf). */
  readonly aws_calls: number;
  /** The same calls as IAM judges them: one per principal, action and resource. */
  readonly calls: readonly RecordedCall[];
  readonly iam_denied: number;
  readonly denied: readonly RecordedCall[];
  /** Grants of the sibling's own roles its execution never used, unexplained by unexercised-grants.json. */
  readonly unused_grants: readonly Grant[];
}

/**
 * Synthesizes the app, opens an account of fakes with the task Lambdas' environment, runs `body` with the
 * fakes installed in the AWS SDK, and always restores the environment and closes the account.
 */
export async function withMachineProof<T>(machine: SiblingMachine, ownTasks: readonly string[], body: (proof: MachineProof) => Promise<T>): Promise<T> {
  const synth = synthesizeForVerify('dev');
  const env = { stackName: synth.stackName };
  const template = synth.template;
  const microbatch = renderStateMachine(template, synth.assetDir, { env, machine: 'microbatch' });
  const sibling = renderStateMachine(template, synth.assetDir, { env, machine });
  const lambdas = lambdaFunctions(template, env);
  const first = lambdas[0];
  if (first === undefined) throw new Error('the template has no task functions');
  const account = await FakeAccount.open(resolverFor(template, env), first.environment);
  const savedEnv = { ...process.env };
  try {
    const raw = new FolderObjectStore(join(account.s3Root, account.env.rawBucket));
    Object.assign(process.env, { AWS_REGION: account.recorder.scope.region, AWS_ACCESS_KEY_ID: 'verify-aws', AWS_SECRET_ACCESS_KEY: 'verify-aws', ...first.environment });
    account.install();
    const meter = new PayloadMeter();
    const batchHandlers = meter.wrapTasks(await taskHandlers(microbatch, lambdas, account));
    let callsBefore = account.recorder.calls.length;
    const proof: MachineProof = {
      account,
      raw,
      meter,
      runMicrobatch: (name, input, allowFailure) => execute(microbatch, batchHandlers, meter, name, input as never, allowFailure),
      runMachine: async (name, input) => {
        callsBefore = account.recorder.calls.length;
        return execute(sibling, meter.wrapTasks(await taskHandlers(sibling, lambdas, account)), meter, name, input as never);
      },
      judge: async () => {
        const calls = recordedCalls(account.recorder.calls.slice(callsBefore));
        const evaluation = await evaluateCalls(template, calls, env);
        const own = machineRoles(template, synth.assetDir, env, machine, ownTasks);
        return {
          aws_calls: account.recorder.calls.length - callsBefore,
          calls,
          iam_denied: evaluation.denied.length,
          denied: evaluation.denied,
          unused_grants: unusedGrants(template, calls, loadUnexercisedGrants(), env).filter((g) => own.has(g.role)),
        };
      },
    };
    const result = await body(proof);
    if (meter.violations.length > 0) throw new Error(`state payloads over 256 KiB: ${JSON.stringify(meter.violations)}`);
    return result;
  } finally {
    account.uninstall();
    process.env = savedEnv;
    await account.close();
  }
}
