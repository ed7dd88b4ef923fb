import { lambdaHandler } from '../_shared/lambda';

/** Lambda entry of the verify-batch task (tasks/verify-batch/handler.ts over the AWS adapters). */
export const handler = lambdaHandler('verify-batch');
