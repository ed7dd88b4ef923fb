import { DescribeExecutionCommand, ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { executionArnFor, remoteExecutionName, StepFunctionsOrchestrator } from '../../../src/adapters/aws/step-functions-orchestrator';

const sfn = mockClient(SFNClient);
const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:eventlake-dev-microbatch';
const EXEC = 'arn:aws:states:eu-west-1:123456789012:execution:eventlake-dev-microbatch:backfill-2024-04-01-2024-04-07';

function orchestrator() {
  return new StepFunctionsOrchestrator({ client: new SFNClient({ region: 'eu-west-1' }), stateMachineArn: ARN, sleep: () => Promise.resolve() });
}

describe('StepFunctionsOrchestrator', () => {
  beforeEach(() => sfn.reset());

  it('starts the execution with its deterministic name and input, polls, and returns the output', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXEC, startDate: new Date() });
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'RUNNING' } as never)
      .resolves({ status: 'SUCCEEDED', output: '{"status":"committed","inserted":5}' } as never);

    const result = await orchestrator().execute({ name: 'backfill-2024-04-01-2024-04-07', input: { mode: 'backfill', from: '2024-04-01', to: '2024-04-07' } });

    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: ARN,
      name: 'backfill-2024-04-01-2024-04-07',
      input: '{"mode":"backfill","from":"2024-04-01","to":"2024-04-07"}',
    });
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({ executionArn: EXEC });
    expect(result).toEqual({ name: 'backfill-2024-04-01-2024-04-07', status: 'SUCCEEDED', output: { status: 'committed', inserted: 5 } });
  });

  it('follows an execution that already exists under the name instead of starting another', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', output: '{"status":"committed"}' } as never);

    const result = await orchestrator().execute({ name: 'backfill-2024-04-01-2024-04-07', input: { mode: 'backfill' } });

    expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({ executionArn: EXEC });
    expect(result.status).toBe('SUCCEEDED');
  });

  it('reports a failed execution with its error name and cause', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXEC, startDate: new Date() });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'EventLake.ConservationViolated', cause: 'does not balance' } as never);

    const result = await orchestrator().execute({ name: 'x', input: {} });

    expect(result).toEqual({ name: 'x', status: 'FAILED', error: 'EventLake.ConservationViolated', cause: 'does not balance' });
  });
});

describe('execution names', () => {
  it('derives the execution ARN from the state machine ARN', () => {
    expect(executionArnFor(ARN, 'n')).toBe('arn:aws:states:eu-west-1:123456789012:execution:eventlake-dev-microbatch:n');
  });

  it('names a backfill after its range and a manual run after its minute; an attempt number reruns on purpose', () => {
    const at = new Date('2024-04-08T12:34:56Z');
    expect(remoteExecutionName({ mode: 'backfill', from: '2024-04-01', to: '2024-04-07', at })).toBe('backfill-2024-04-01-2024-04-07');
    expect(remoteExecutionName({ mode: 'backfill', from: '2024-04-01', to: '2024-04-07', at, attempt: 2 })).toBe('backfill-2024-04-01-2024-04-07-attempt-2');
    expect(remoteExecutionName({ mode: 'scheduled', at })).toBe('manual-20240408T1234');
    expect(remoteExecutionName({ mode: 'replay', at, attempt: 2 })).toBe('replay-20240408T1234-attempt-2');
  });
});
