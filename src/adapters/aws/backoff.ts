/** Bounds of a retry loop: how many calls in all, and the exponential delay between them. */
export interface BackoffOptions {
  /** Calls in all, the first included. */
  readonly maxAttempts: number;
  /** Delay cap before the 2nd call; doubles per attempt (full jitter picks a delay below the cap). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 5000 };

/** Fills in defaults and refuses bounds that would loop forever or never call. */
export function backoffOptions(given: Partial<BackoffOptions> = {}): BackoffOptions {
  const options = { ...DEFAULT_BACKOFF, ...given };
  if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1) {
    throw new RangeError(`backoff: maxAttempts must be a positive integer, got ${options.maxAttempts}`);
  }
  if (!(options.baseDelayMs >= 0) || !(options.maxDelayMs >= options.baseDelayMs)) {
    throw new RangeError('backoff: need 0 <= baseDelayMs <= maxDelayMs');
  }
  return options;
}

/**
 * "Full jitter" (AWS Architecture Blog, Exponential Backoff and Jitter): a uniform delay in
 * [0, min(maxDelayMs, baseDelayMs * 2^retry)), so retrying callers spread out instead of colliding.
 * `retry` counts from 0 for the wait before the second call.
 */
export function backoffDelayMs(
  retry: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** retry);
  return Math.floor(random() * cap);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
