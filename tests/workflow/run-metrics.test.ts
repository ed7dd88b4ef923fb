import { emptySummary } from '../../src/pipeline/run-summary';
import { PIPELINE_METRICS, runMetricsEmf } from '../../src/workflow/run-metrics';

describe('runMetricsEmf', () => {
  it('emits the run counts as Embedded Metric Format under the pipeline dimension', () => {
    const summary = { ...emptySummary('committed', 'scheduled'), batch_id: 'b1', lines_read: 100, quarantined: 3, inserted: 90, duplicates_in_batch: 4, duplicates_existing: 2 };

    const emf = JSON.parse(runMetricsEmf(summary, 'microbatch', new Date('2024-04-08T00:00:00Z'))) as Record<string, unknown>;

    expect(emf).toMatchObject({
      _aws: {
        Timestamp: Date.UTC(2024, 3, 8),
        CloudWatchMetrics: [{ Namespace: 'EventLake', Dimensions: [['Pipeline']], Metrics: expect.arrayContaining([{ Name: 'QuarantinedLines', Unit: 'Count' }]) as unknown }],
      },
      Pipeline: 'microbatch',
      [PIPELINE_METRICS.linesRead]: 100,
      [PIPELINE_METRICS.quarantinedLines]: 3,
      [PIPELINE_METRICS.inserted]: 90,
      [PIPELINE_METRICS.duplicates]: 6,
    });
  });
});
