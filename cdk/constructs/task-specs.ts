import { ATHENA_TABLES } from '../../src/workflow/athena-tables';
import type { TaskName } from '../../src/workflow/registry';
import { LakePrefixes } from './lake';

/** The lake buckets a task may touch (the access-log bucket is S3's alone). */
export type LakeBucket = 'raw' | 'curated' | 'staging' | 'quarantine' | 'athenaResults';
export type GlueTable = (typeof ATHENA_TABLES)[keyof typeof ATHENA_TABLES];
export type DynamoAction =
  'GetItem' | 'BatchGetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'BatchWriteItem' | 'Scan';

/** Object operations under one key prefix, with why the task needs them (also the cdk-nag reason). */
export interface ObjectAccess {
  readonly bucket: LakeBucket;
  /** Key prefix ending in `/`: the grant is `<bucket>/<prefix>*`. */
  readonly prefix: string;
  readonly read?: boolean;
  readonly write?: boolean;
  readonly delete?: boolean;
  readonly why: string;
}

/**
 * What a task touches, read off its core (src/pipeline/*.ts) and the AWS adapters: the object store
 * routes `raw/`, `curated/`, `quarantine/` (and `replays/`) to their buckets and `staging/` + `runs/` to the staging
 * bucket (src/adapters/aws/routed-object-store.ts); DynamoDbStateStore's calls per port method
 * (src/adapters/aws/dynamodb-state-store.ts); Athena with the caller's permissions.
 */
export interface TaskAccess {
  /** `s3:ListBucket` on a bucket, limited to these key prefixes. */
  readonly list?: readonly { readonly bucket: LakeBucket; readonly prefix: string }[];
  readonly objects?: readonly ObjectAccess[];
  readonly userState?: readonly DynamoAction[];
  readonly control?: readonly DynamoAction[];
  /** Athena queries over these tables (`write`: Iceberg INSERT/DELETE); results go to the workgroup's bucket. */
  readonly athena?: { readonly read: readonly GlueTable[]; readonly write: readonly GlueTable[] };
}

export interface TaskSpec {
  readonly description: string;
  readonly memoryMiB: number;
  /** Below the ASL state's TimeoutSeconds (tests/cdk/orchestration.test.ts checks it). */
  readonly timeoutSeconds: number;
  readonly access: TaskAccess;
}

/** Where each Glue table's files are: Athena reads/writes them with the caller's permissions. */
export const TABLE_LOCATIONS: Readonly<
  Record<GlueTable, { readonly bucket: LakeBucket; readonly prefix: string }>
> = {
  [ATHENA_TABLES.events]: { bucket: 'curated', prefix: LakePrefixes.curatedEvents },
  [ATHENA_TABLES.classified]: { bucket: 'staging', prefix: LakePrefixes.classified },
  [ATHENA_TABLES.staged]: { bucket: 'staging', prefix: LakePrefixes.staged },
  [ATHENA_TABLES.quarantine]: { bucket: 'quarantine', prefix: LakePrefixes.quarantine },
  [ATHENA_TABLES.erasedUsers]: { bucket: 'curated', prefix: LakePrefixes.erasureRecords },
  [ATHENA_TABLES.erasureSalt]: { bucket: 'curated', prefix: LakePrefixes.erasures },
};

/**
 * Unpartitioned Hive tables (no partition projection): Athena reads their partitions from Glue, so whoever
 * queries them needs glue:GetPartitions on them, as the Glue actions Athena's table policies list
 * (https://docs.aws.amazon.com/athena/latest/ug/fine-grained-access-to-glue-resources.html). The batch tables
 * use injected projection and the Iceberg tables their own metadata: none is needed there.
 */
export const GLUE_PARTITIONED_TABLES: readonly GlueTable[] = [ATHENA_TABLES.erasedUsers, ATHENA_TABLES.erasureSalt];

const BATCHES = 'staging/batches/';
const RUN_TIME_ID = 'the batch id exists only at run time';

export const TASK_SPECS: Readonly<Record<TaskName, TaskSpec>> = {
  'acquire-lease': {
    description: 'AcquireLease: take the run lease (conditional put) or report who holds it',
    memoryMiB: 256,
    timeoutSeconds: 30,
    access: { control: ['PutItem', 'GetItem'] },
  },
  'plan-batch': {
    description: 'PlanBatch: list new raw objects (a replay: quarantine records), freeze the batch manifest, mark it pending',
    memoryMiB: 1024,
    timeoutSeconds: 240,
    access: {
      // A replay (src/pipeline/plan-replay.ts) lists the committed batches (markers, run summaries), the
      // quarantine objects of those and the outcomes of earlier replays.
      list: [
        { bucket: 'raw', prefix: LakePrefixes.raw },
        { bucket: 'curated', prefix: LakePrefixes.curatedCommitted },
        { bucket: 'staging', prefix: LakePrefixes.runs },
        { bucket: 'quarantine', prefix: LakePrefixes.quarantine },
        { bucket: 'quarantine', prefix: LakePrefixes.replays },
      ],
      objects: [
        {
          bucket: 'staging',
          prefix: BATCHES,
          read: true,
          write: true,
          why: `PlanBatch writes the batch manifest under staging/batches/<batch_id>/ and reads it back on resume: ${RUN_TIME_ID}`,
        },
        {
          bucket: 'quarantine',
          prefix: LakePrefixes.quarantine,
          read: true,
          why: 'A replay reads the quarantine records of committed batches, under quarantine/batch_id=<run-time id>/',
        },
        {
          bucket: 'quarantine',
          prefix: LakePrefixes.replays,
          read: true,
          why: 'A replay reads the outcomes of earlier replays, replays/batch_id=<run-time id>/outcomes.ndjson',
        },
      ],
      control: ['GetItem', 'BatchGetItem', 'PutItem'],
    },
  },
  'validate-slice': {
    description:
      'ValidateSlice: parse and validate raw lines, quarantine bad ones, record user state, stage rows',
    memoryMiB: 2048,
    timeoutSeconds: 840,
    access: {
      // Each output of a slice is a run of part objects (src/pipeline/part-writer.ts): closing one lists its
      // parts and deletes those an earlier, longer attempt left; rolling back an unreadable object reads one back.
      list: [
        { bucket: 'staging', prefix: BATCHES },
        { bucket: 'staging', prefix: LakePrefixes.staged },
        { bucket: 'quarantine', prefix: LakePrefixes.quarantine },
      ],
      objects: [
        {
          bucket: 'raw',
          prefix: LakePrefixes.raw,
          read: true,
          why: 'ValidateSlice reads the raw objects its slice of the manifest names, anywhere under raw/',
        },
        {
          bucket: 'staging',
          prefix: BATCHES,
          read: true,
          write: true,
          delete: true,
          why: `ValidateSlice reads the batch manifest and writes (and replaces) its slice's lesson and user-state parts under staging/batches/<batch_id>/: ${RUN_TIME_ID}`,
        },
        {
          bucket: 'staging',
          prefix: LakePrefixes.staged,
          read: true,
          write: true,
          delete: true,
          why: 'ValidateSlice writes (and replaces) the staged row parts of its slice under staging/staged/batch_id=<run-time id>/',
        },
        {
          bucket: 'quarantine',
          prefix: LakePrefixes.quarantine,
          read: true,
          write: true,
          delete: true,
          why: 'ValidateSlice writes (and replaces) the quarantine parts of its slice under quarantine/batch_id=<run-time id>/',
        },
        {
          bucket: 'curated',
          prefix: LakePrefixes.erasures,
          read: true,
          why: "ValidateSlice drops forgotten users' state versions (src/pipeline/erased-users.ts): it lists the erasure records erasures/log/<user_hash>.json and reads the salt erasures/salt.json",
        },
      ],
      // Each entity: a consistent read, the fold, a write conditional on its revision (DynamoDbStateStore).
      userState: ['GetItem', 'PutItem'],
    },
  },
  'enrich-slice': {
    description: 'EnrichSlice: enrich staged lessons from user state as of their own time',
    memoryMiB: 1024,
    timeoutSeconds: 840,
    access: {
      // Lists its slice's lesson parts, and its own enriched parts to delete those an earlier attempt left.
      list: [
        { bucket: 'staging', prefix: BATCHES },
        { bucket: 'staging', prefix: LakePrefixes.staged },
      ],
      objects: [
        {
          bucket: 'staging',
          prefix: BATCHES,
          read: true,
          why: `EnrichSlice reads its slice's lesson parts under staging/batches/<batch_id>/: ${RUN_TIME_ID}`,
        },
        {
          bucket: 'staging',
          prefix: LakePrefixes.staged,
          write: true,
          delete: true,
          why: 'EnrichSlice writes (and replaces) the enriched lesson parts under staging/staged/batch_id=<run-time id>/',
        },
      ],
      userState: ['BatchGetItem'],
    },
  },
  'summarize-slices': {
    description: "SummarizeSlices: add up the slices' result objects into batch totals and the dedup horizon; drop the enriched slices' lesson parts",
    memoryMiB: 256,
    timeoutSeconds: 240,
    access: {
      // Lists each slice's lesson parts to delete them.
      list: [{ bucket: 'staging', prefix: BATCHES }],
      objects: [
        {
          bucket: 'staging',
          prefix: BATCHES,
          read: true,
          delete: true,
          why: `SummarizeSlices reads the batch manifest and its slices' result objects under staging/batches/<batch_id>/ and deletes the lesson parts EnrichSlices replaced: ${RUN_TIME_ID}`,
        },
      ],
    },
  },
  'dedup-batch': {
    description:
      'DedupBatch: read the classification Athena wrote (counts, merge groups), quarantine conflicts',
    memoryMiB: 512,
    timeoutSeconds: 240,
    access: {
      objects: [
        {
          bucket: 'staging',
          prefix: BATCHES,
          read: true,
          why: `DedupBatch reads the batch manifest under staging/batches/<batch_id>/: ${RUN_TIME_ID}`,
        },
        {
          bucket: 'quarantine',
          prefix: LakePrefixes.quarantine,
          read: true,
          write: true,
          delete: true,
          why: 'DedupBatch writes (or removes an outdated) conflicts file under quarantine/batch_id=<run-time id>/; a replay reads the records it re-validated',
        },
        {
          bucket: 'quarantine',
          prefix: LakePrefixes.replays,
          write: true,
          why: "A replay's DedupBatch writes its outcomes, replays/batch_id=<run-time id>/outcomes.ndjson",
        },
      ],
      athena: { read: [ATHENA_TABLES.classified], write: [] },
    },
  },
  'verify-batch': {
    description:
      'VerifyBatch: prove lines_read = inserted + duplicates + quarantined + blank from what was written',
    memoryMiB: 512,
    timeoutSeconds: 240,
    access: {
      list: [{ bucket: 'quarantine', prefix: LakePrefixes.quarantine }],
      objects: [
        {
          bucket: 'quarantine',
          prefix: LakePrefixes.quarantine,
          read: true,
          why: 'VerifyBatch counts the records of every object under quarantine/batch_id=<run-time id>/',
        },
        {
          bucket: 'staging',
          prefix: BATCHES,
          read: true,
          why: `A replay's VerifyBatch reads the batch manifest (the lines it planned) under staging/batches/<batch_id>/: ${RUN_TIME_ID}`,
        },
        {
          bucket: 'quarantine',
          prefix: LakePrefixes.replays,
          read: true,
          why: "A replay's VerifyBatch reads its outcomes, replays/batch_id=<run-time id>/outcomes.ndjson",
        },
      ],
      athena: { read: [ATHENA_TABLES.events], write: [] },
    },
  },
  'commit-batch': {
    description:
      'CommitBatch: advance the checkpoint (compare-and-set) with the processed ledger, save the run summary',
    memoryMiB: 512,
    timeoutSeconds: 240,
    access: {
      // The core lists curated/_pending/<batch>/ (the local runtime's staging area); on AWS it is always empty.
      list: [{ bucket: 'curated', prefix: 'curated/_pending/' }],
      objects: [
        {
          bucket: 'staging',
          prefix: BATCHES,
          read: true,
          why: `CommitBatch reads the batch manifest under staging/batches/<batch_id>/: ${RUN_TIME_ID}`,
        },
        {
          bucket: 'staging',
          prefix: LakePrefixes.runs,
          write: true,
          why: 'CommitBatch writes runs/<batch_id>.json, a name known only at run time',
        },
        {
          bucket: 'curated',
          prefix: LakePrefixes.curatedCommitted,
          write: true,
          why: "CommitBatch writes the batch's committed marker curated/committed/<batch_id>.json (what readers filter on), a name known only at run time",
        },
      ],
      control: ['GetItem', 'PutItem', 'BatchWriteItem'],
    },
  },
  'release-lease': {
    description: 'ReleaseLease: delete the run lease if this execution still owns it',
    memoryMiB: 256,
    timeoutSeconds: 30,
    access: { control: ['DeleteItem'] },
  },
  'plan-compaction': {
    description: 'PlanCompaction: the curated partitions of the days to compact, the committed batches whose staging to prune',
    memoryMiB: 512,
    timeoutSeconds: 240,
    access: {
      // Lists the batch ids that still have staging; reads each one's committed marker (HeadObject, GetObject).
      list: [
        { bucket: 'staging', prefix: BATCHES },
        { bucket: 'staging', prefix: LakePrefixes.staged },
      ],
      objects: [
        {
          bucket: 'curated',
          prefix: LakePrefixes.curatedCommitted,
          read: true,
          why: "PlanCompaction reads the committed marker curated/committed/<batch_id>.json of each batch that still has staging (when it committed): a name known only at run time",
        },
      ],
      athena: { read: [ATHENA_TABLES.events], write: [] },
    },
  },
  'prune-staging': {
    description: "PruneStaging: delete committed batches' staging (DeleteObjects), each checked against its committed marker",
    memoryMiB: 512,
    timeoutSeconds: 540,
    access: {
      list: [
        { bucket: 'staging', prefix: BATCHES },
        { bucket: 'staging', prefix: LakePrefixes.staged },
      ],
      objects: [
        {
          bucket: 'curated',
          prefix: LakePrefixes.curatedCommitted,
          read: true,
          why: 'PruneStaging reads the committed marker curated/committed/<batch_id>.json of each batch before deleting its staging: a name known only at run time',
        },
        {
          bucket: 'staging',
          prefix: BATCHES,
          delete: true,
          why: `PruneStaging deletes staging/batches/<batch_id>/ of committed batches: ${RUN_TIME_ID}`,
        },
        {
          bucket: 'staging',
          prefix: LakePrefixes.staged,
          delete: true,
          why: 'PruneStaging deletes staging/staged/batch_id=<run-time id>/ of committed batches',
        },
      ],
    },
  },
  'finish-compaction': {
    description: 'FinishCompaction: delete the run lease if this compaction still owns it, sum the compaction up',
    memoryMiB: 256,
    timeoutSeconds: 30,
    access: { control: ['DeleteItem'] },
  },
  'begin-forget': {
    description: 'BeginForget: validate the user id, write the erasure record (salt created once), count the curated rows to delete',
    memoryMiB: 256,
    timeoutSeconds: 240,
    access: {
      // The pending-batch check: the scheduled and backfill checkpoints.
      control: ['GetItem'],
      objects: [
        {
          bucket: 'curated',
          prefix: LakePrefixes.erasures,
          read: true,
          write: true,
          why: 'BeginForget reads or creates the salt erasures/salt.json and reads or writes the record erasures/log/<user_hash>.json, named by a hash known only at run time',
        },
      ],
      athena: { read: [ATHENA_TABLES.events], write: [] },
    },
  },
  'finish-forget': {
    description: "FinishForget: remove the user's quarantine records and user state, complete the erasure record, delete the run lease",
    memoryMiB: 1024,
    timeoutSeconds: 840,
    access: {
      control: ['DeleteItem'],
      userState: ['Scan', 'BatchWriteItem'],
      list: [{ bucket: 'quarantine', prefix: LakePrefixes.quarantine }],
      objects: [
        {
          bucket: 'quarantine',
          prefix: LakePrefixes.quarantine,
          read: true,
          write: true,
          delete: true,
          why: "FinishForget rewrites (or deletes, when nothing else is left) every quarantine object holding the user's lines: any batch's, known only by reading them",
        },
        {
          bucket: 'curated',
          prefix: LakePrefixes.erasureRecords,
          read: true,
          write: true,
          why: 'FinishForget completes the record erasures/log/<user_hash>.json, named by a hash known only at run time',
        },
      ],
    },
  },
};
