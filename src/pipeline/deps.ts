import type { Clock } from '../ports/clock';
import type { ObjectStore } from '../ports/object-store';
import type { SqlEngine } from '../ports/sql-engine';
import type { StateStore } from '../ports/state-store';
import type { SqlDialect } from '../sql/render';
import type { PipelineConfig } from './config';
import type { SqlSources } from '../ports/sql-sources';
import type { TimelineCache } from './timeline-cache';

/** Progress lines for people (stderr locally, CloudWatch on AWS). Never machine output. */
export type Progress = (message: string) => void;

/** Everything a task core needs; built once per process (Lambda cold start, local runtime start). */
export interface PipelineDeps {
  readonly objects: ObjectStore;
  readonly state: StateStore;
  readonly sql: SqlEngine;
  readonly dialect: SqlDialect;
  readonly sources: SqlSources;
  readonly clock: Clock;
  readonly config: PipelineConfig;
  readonly progress: Progress;
  /**
   * Timelines kept between EnrichSlice calls of one batch (src/pipeline/timeline-cache.ts): only where a
   * process serves one batch's slice Maps and ends (the local slice worker); absent, every call reads the store.
   */
  readonly timelines?: TimelineCache;
}
