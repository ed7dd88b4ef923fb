
/** Custom metrics published once per committed run; CDK's monitoring construct alarms on them. */
export const PIPELINE_METRICS = {
  namespace: 'EventLake',
  linesRead: 'LinesRead',
  quarantinedLines: 'QuarantinedLines',
  inserted: 'Inserted',
  duplicates: 'Duplicates',
  /** Dimension name; its value is the pipeline name (EVENTLAKE_PIPELINE_NAME). */
  dimension: 'Pipeline',
} as const;

/** The counts of a run summary the metrics publish (src/pipeline/run-summary.ts RunSummary has them all). */
export interface RunCounts {
  readonly batch_id: string;
  readonly lines_read: number;
  readonly quarantined: number;
  readonly inserted: number;
  readonly duplicates_in_batch: number;
  readonly duplicates_existing: number;
}

/**
 * One CloudWatch Embedded Metric Format line for a committed run: Lambda's log stream turns it into
 * metrics, with no SDK call and no extra permission.
 */
export function runMetricsEmf(summary: RunCounts, pipelineName: string, at: Date): string {
  const m = PIPELINE_METRICS;
  return JSON.stringify({
    _aws: {
      Timestamp: at.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: m.namespace,
          Dimensions: [[m.dimension]],
          Metrics: [m.linesRead, m.quarantinedLines, m.inserted, m.duplicates].map((Name) => ({ Name, Unit: 'Count' })),
        },
      ],
    },
    [m.dimension]: pipelineName,
    [m.linesRead]: summary.lines_read,
    [m.quarantinedLines]: summary.quarantined,
    [m.inserted]: summary.inserted,
    [m.duplicates]: summary.duplicates_in_batch + summary.duplicates_existing,
    batch_id: summary.batch_id,
  });
}
