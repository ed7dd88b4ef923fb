import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { StepFunctionsOrchestrator } from '../../src/adapters/aws/step-functions-orchestrator';
import { ConservationError } from '../../src/errors';
import { LocalOrchestrator } from '../../src/runtime/local-orchestrator';
import type { TaskHandler } from '../../tasks/index';
import { lessonEvent, makeTestLake, otherEvent, putRaw, rawKey, T0 } from '../helpers/lake';
import { noRetryWait } from '../helpers/run';
import { orchestratorContract, type ScenarioOutcome } from './orchestrator.contract';

orchestratorContract('LocalOrchestrator (aws-local-stepfunctions, real ASL, local lake)', async (outcome: ScenarioOutcome) => {
  const lake = await makeTestLake();
  await putRaw(lake, rawKey(10, 'a'), [otherEvent(T0), lessonEvent('u1', 'de', T0 + 1)]);
  if (outcome === 'skipped-lease-held') {
    await lake.state.acquireLease({ name: 'microbatch', owner: 'other', nowMs: lake.clock.now().getTime(), ttlMs: 3_600_000 });
  }
  const handlerOverrides: Record<string, TaskHandler> =
    outcome === 'fails-conservation' ? { VerifyBatch: () => Promise.reject(new ConservationError('batch does not balance')) } : {};
  return {
    orchestrator: new LocalOrchestrator(lake, { retryIntervalOverrides: noRetryWait(), handlerOverrides }),
    request: { name: 'contract-run', input: { mode: 'scheduled' } },
    cleanup: () => lake.cleanup(),
  };
});

const sfn = mockClient(SFNClient);
const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:eventlake-dev-microbatch';

orchestratorContract('StepFunctionsOrchestrator (SFN client mocked)', (outcome: ScenarioOutcome) => {
  sfn.reset();
  sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN.replace(':stateMachine:', ':execution:')}:contract-run`, startDate: new Date() });
  const described = {
    succeeds: { status: 'SUCCEEDED', output: JSON.stringify({ status: 'committed', lines_read: 2 }) },
    'fails-conservation': { status: 'FAILED', error: 'EventLake.ConservationViolated', cause: 'batch does not balance' },
    'skipped-lease-held': { status: 'SUCCEEDED', output: JSON.stringify({ mode: 'scheduled', lease: { acquired: false, holder: 'other' } }) },
  }[outcome];
  sfn.on(DescribeExecutionCommand).resolvesOnce({ status: 'RUNNING' } as never).resolves(described as never);
  return Promise.resolve({
    orchestrator: new StepFunctionsOrchestrator({ client: new SFNClient({ region: 'eu-west-1' }), stateMachineArn: ARN, sleep: () => Promise.resolve() }),
    request: { name: 'contract-run', input: { mode: 'scheduled' } },
    cleanup: () => Promise.resolve(),
  });
});
