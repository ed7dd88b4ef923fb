import { lambdaHandler } from '../_shared/lambda';

/** Lambda entry of the summarize-slices task (tasks/summarize-slices/handler.ts over the AWS adapters). */
export const handler = lambdaHandler('summarize-slices');
