import { lambdaHandler } from '../../src/runtime/aws/lambda-entry';
import { createHandler } from './handler';

/** Lambda entry of the begin-forget task: its own handler over the AWS adapters (its bundle holds no other task). */
export const handler = lambdaHandler('begin-forget', createHandler);
