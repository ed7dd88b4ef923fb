/**
 * Template-side pieces of the offline proof (`npm run verify:aws`): the synthesized stack, its
 * intrinsics resolved over a fake account, the state machine as Step Functions receives it, the task
 * Lambdas, and IAM evaluation of recorded calls. Dev-only: never imported by src/, tasks/, cdk/ or bin/.
 */
export { synthesizeForVerify, REPO_ROOT, type VerifySynthesis } from './synth';
export { TemplateResolver, resolverFor } from './resolve';
export { FAKE_ENV, type CfnTemplate, type CfnResource, type FakeEnvironment } from './template-types';
export { renderStateMachine, substitute, type RenderedStateMachine } from './render';
export { lambdaFunctions, type TaskLambda } from './lambda';
export {
  rolePolicies,
  evaluateCalls,
  grants,
  unusedGrants,
  staleAllowances,
  loadUnexercisedGrants,
  unknownActions,
  globMatch,
  UNEXERCISED_GRANTS_FILE,
  type PolicyStatement,
  type RoleStatement,
  type RecordedCall,
  type Decision,
  type CallEvaluation,
  type Grant,
  type UnexercisedGrantAllowance,
  type NamedAction,
} from './iam';
export { validateAsl, taskResources, type AslValidation } from './asl';
