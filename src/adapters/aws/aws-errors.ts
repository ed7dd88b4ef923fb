/**
 * Reading AWS SDK v3 errors by name and HTTP status, so adapters map them to the ASL error names of
 * src/errors.ts without depending on each service's exception classes.
 */

/** The service's error code (`NoSuchKey`, `ThrottlingException`, ...), or undefined for a non-SDK error. */
export function awsErrorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, Code } = error as { name?: unknown; Code?: unknown };
  if (typeof Code === 'string' && Code.length > 0) return Code;
  return typeof name === 'string' ? name : undefined;
}

export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const metadata = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata;
  return typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** True when `error` is named one of `names`. */
export function isAwsError(error: unknown, ...names: readonly string[]): boolean {
  const name = awsErrorName(error);
  return name !== undefined && names.includes(name);
}

/** A 5xx answer: the service says the failure was on its side, so the same call may well succeed later. */
export function isServerFault(error: unknown): boolean {
  const status = httpStatusOf(error);
  return status !== undefined && status >= 500 && status <= 599;
}
