/**
 * What `npm run bench -- --repeat N` reports from N pairs of runs (the pipeline, then the baseline, back to
 * back): this VM's speed moves by up to a third within minutes (docs/performance.md), so one pair can land on
 * either side of a target; the median pair of several does not move with one slow minute.
 */

/** One pipeline run and the baseline run right after it, on the same raw files. */
export interface BenchPair {
  readonly seconds: number;
  readonly baselineSeconds: number;
  readonly peakRssMib: number;
}

export interface PairsSummary<P extends BenchPair> {
  /** The pair whose ratio is the median (the lower middle one of an even count): its phases are reported. */
  readonly median: P;
  /** Median of the pipeline's seconds, and of the baseline's. */
  readonly seconds: number;
  readonly baselineSeconds: number;
  /** Median of each pair's pipeline / baseline seconds (a pair's two runs saw the same machine). */
  readonly ratio: number;
  /** The highest peak of all runs: memory is a bound, not an average. */
  readonly peakRssMib: number;
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** A pair's pipeline seconds / baseline seconds. */
export function pairRatio(pair: BenchPair): number {
  return pair.seconds / pair.baselineSeconds;
}

export function summarizePairs<P extends BenchPair>(pairs: readonly P[]): PairsSummary<P> {
  if (pairs.length === 0) throw new RangeError('no bench pairs to summarize');
  const byRatio = [...pairs].sort((a, b) => pairRatio(a) - pairRatio(b));
  return {
    median: byRatio[(byRatio.length - 1) >> 1] as P,
    seconds: median(pairs.map((p) => p.seconds)),
    baselineSeconds: median(pairs.map((p) => p.baselineSeconds)),
    ratio: median(pairs.map(pairRatio)),
    peakRssMib: Math.max(...pairs.map((p) => p.peakRssMib)),
  };
}
