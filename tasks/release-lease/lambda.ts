import { lambdaHandler } from '../_shared/lambda';

/** Lambda entry of the release-lease task (tasks/release-lease/handler.ts over the AWS adapters). */
export const handler = lambdaHandler('release-lease');
