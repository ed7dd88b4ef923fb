import { median, summarizePairs } from '../../bench/repeat';

describe('bench --repeat', () => {
  it('takes the middle value, the mean of the two middle ones for an even count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });

  it('reports the median ratio of the pairs, the medians of each side, the highest peak and the median pair', () => {
    const pairs = [
      { id: 'slow pipeline', seconds: 15, baselineSeconds: 6, peakRssMib: 700 },
      { id: 'quiet', seconds: 11, baselineSeconds: 5.5, peakRssMib: 760 },
      { id: 'slow baseline', seconds: 13, baselineSeconds: 7, peakRssMib: 890 },
    ];

    const summary = summarizePairs(pairs);

    // Ratios 2.5, 2.0, 1.86: the median is the quiet pair's, not the ratio of the two medians (13 / 6 = 2.17).
    expect(summary.ratio).toBe(2);
    expect(summary.median.id).toBe('quiet');
    expect(summary.seconds).toBe(13);
    expect(summary.baselineSeconds).toBe(6);
    expect(summary.peakRssMib).toBe(890);
  });

  it('reports a single pair as it is', () => {
    const pair = { seconds: 12.16, baselineSeconds: 5.91, peakRssMib: 707 };

    expect(summarizePairs([pair])).toEqual({ median: pair, seconds: 12.16, baselineSeconds: 5.91, ratio: 12.16 / 5.91, peakRssMib: 707 });
  });
});
