import { lambdaHandler } from '../_shared/lambda';

/** Lambda entry of the dedup-batch task (tasks/dedup-batch/handler.ts over the AWS adapters). */
export const handler = lambdaHandler('dedup-batch');
