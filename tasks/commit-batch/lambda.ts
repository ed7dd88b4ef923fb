import { lambdaHandler } from '../_shared/lambda';

/** Lambda entry of the commit-batch task (tasks/commit-batch/handler.ts over the AWS adapters). */
export const handler = lambdaHandler('commit-batch');
