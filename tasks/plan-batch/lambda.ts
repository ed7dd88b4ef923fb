import { lambdaHandler } from '../_shared/lambda';

/** Lambda entry of the plan-batch task (tasks/plan-batch/handler.ts over the AWS adapters). */
export const handler = lambdaHandler('plan-batch');
