import { InvalidArgumentError } from 'commander';

/**
 * Option value parsers for commander: each checks its value at parse time (before a lake is opened or a
 * lease taken) and throws InvalidArgumentError, which the CLI reports as a usage error (exit 2).
 * Deliberately free of heavy imports: `eventlake --help` loads this file.
 */

export function wholeNumber(min: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number >= ${min}`);
    return n;
  };
}

/** Days an area of the lake keeps (`eventlake retain --raw-days`, ...): a whole number >= 1, or `keep` (forever). */
export function retentionDays(text: string): number | null {
  if (text === 'keep') return null;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of days >= 1, or keep');
  return n;
}

export function integer(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected an integer');
  return n;
}

export function rate(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a rate between 0 and 1');
  return n;
}

export function hours(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 24 * 366) throw new InvalidArgumentError('expected hours > 0 (at most a year)');
  return n;
}

export function isoTime(text: string): Date {
  const at = new Date(text);
  if (text.trim() === '' || Number.isNaN(at.getTime())) throw new InvalidArgumentError('expected an ISO time, e.g. 2024-04-07T00:00:00Z');
  return at;
}

/** A calendar date YYYY-MM-DD (the same rule as src/time/utc.ts parseUtcDate). */
export function calendarDate(text: string): string {
  const at = new Date(`${text}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(at.getTime()) || at.toISOString().slice(0, 10) !== text) {
    throw new InvalidArgumentError('expected a calendar date YYYY-MM-DD');
  }
  return text;
}

export function nonEmpty(what: string): (text: string) => string {
  return (text) => {
    if (text.trim() === '') throw new InvalidArgumentError(`expected ${what}`);
    return text;
  };
}
/**
 * A user id for `forget --user`: a UUID in 8-4-4-4-12 form, any case (the pipeline stores it lower-cased).
 * The shape only (the contract's full check, src/contract/schemas.ts uuidProblem, runs in forget itself).
 */
export function userId(text: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)) {
    throw new InvalidArgumentError('expected a user id: a UUID of 32 hex digits in 8-4-4-4-12 form');
  }
  return text.toLowerCase();
}

/** A Step Functions state machine ARN: arn:<partition>:states:<region>:<account>:stateMachine:<name>. */
export const STATE_MACHINE_ARN = /^arn:aws(-[a-z]+)*:states:[a-z]{2}(-[a-z]+)+-\d:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

export function stateMachineArn(text: string): string {
  if (!STATE_MACHINE_ARN.test(text)) {
    throw new InvalidArgumentError('expected a state machine ARN, e.g. arn:aws:states:eu-west-1:123456789012:stateMachine:eventlake-dev-microbatch');
  }
  return text;
}

