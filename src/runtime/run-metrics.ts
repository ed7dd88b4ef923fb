import type { RunSummary } from '../pipeline/run-summary';

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

/**
 * One CloudWatch Embedded Metric Format line for a committed run: Lambda's log stream turns it into
 * metrics, with no SDK call and no extra permission.
 */
export function runMetricsEmf(summary: RunSummary, pipelineName: string, at: Date): string {
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
