import { uuidProblem } from '../contract/schemas';
import { InvalidInputError } from '../errors';

/** The user id as the pipeline stores it (validation lower-cases it), or InvalidInputError saying what is wrong. */
export function normalizeUserUuid(value: string): string {
  const problem = uuidProblem(value);
  if (problem !== null) throw new InvalidInputError(`--user ${problem}`);
  return value.toLowerCase();
}
