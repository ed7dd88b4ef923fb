import { lambdaHandler } from '../_shared/lambda';

/** Lambda entry of the acquire-lease task (tasks/acquire-lease/handler.ts over the AWS adapters). */
export const handler = lambdaHandler('acquire-lease');
