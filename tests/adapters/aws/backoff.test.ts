import { backoffDelayMs, backoffOptions, DEFAULT_BACKOFF } from '../../../src/adapters/aws/backoff';
import { chunks, forEachLimit } from '../../../src/adapters/aws/concurrency';

describe('backoff', () => {
  it('doubles the cap per retry up to maxDelayMs, with full jitter below it', () => {
    const options = { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 1000 };

    expect([0, 1, 2, 5, 10].map((retry) => backoffDelayMs(retry, options, () => 0.999999))).toEqual([
      49, 99, 199, 999, 999,
    ]);
    expect(backoffDelayMs(3, options, () => 0)).toBe(0);
  });

  it('fills in defaults and refuses bounds that cannot work', () => {
    expect(backoffOptions({ maxAttempts: 3 })).toEqual({ ...DEFAULT_BACKOFF, maxAttempts: 3 });
    expect(() => backoffOptions({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => backoffOptions({ baseDelayMs: 10, maxDelayMs: 5 })).toThrow(/baseDelayMs <= maxDelayMs/);
  });
});

describe('forEachLimit', () => {
  it('never has more than `limit` tasks in flight and runs each item once', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];

    await forEachLimit([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2));
      seen.push(item);
      inFlight -= 1;
    });

    expect(peak).toBe(3);
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('rejects with the first failure and starts no new task after it', async () => {
    const started: number[] = [];

    await expect(
      forEachLimit([1, 2, 3, 4], 1, (item) => {
        started.push(item);
        return item === 2 ? Promise.reject(new Error('boom')) : Promise.resolve();
      }),
    ).rejects.toThrow('boom');
    expect(started).toEqual([1, 2]);
  });

  it('chunks keep order and size', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 2)).toEqual([]);
  });
});
