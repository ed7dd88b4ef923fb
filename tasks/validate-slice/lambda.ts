import { lambdaHandler } from '../_shared/lambda';

/** Lambda entry of the validate-slice task (tasks/validate-slice/handler.ts over the AWS adapters). */
export const handler = lambdaHandler('validate-slice');
