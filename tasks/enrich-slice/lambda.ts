import { lambdaHandler } from '../_shared/lambda';

/** Lambda entry of the enrich-slice task (tasks/enrich-slice/handler.ts over the AWS adapters). */
export const handler = lambdaHandler('enrich-slice');
