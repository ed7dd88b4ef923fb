import { array, boolean, mixed, number, object, string, ValidationError, type InferType, type Schema } from 'yup';
import { InvalidInputError } from '../../src/errors';
import { BATCH_MODES } from '../../src/ports/orchestrator';

/** Validates a task's input at the boundary; the error names the task and every bad field. */
export function parseTaskInput<S extends Schema>(task: string, schema: S, event: unknown): InferType<S> {
  try {
    return schema.validateSync(event, { strict: true, abortEarly: false, stripUnknown: false });
  } catch (error) {
    const detail = error instanceof ValidationError ? error.errors.join('; ') : String(error);
    throw new InvalidInputError(`${task}: invalid input: ${detail}`);
  }
}

export const leaseSchema = object({ acquired: boolean().required(), owner: string().required() });

export const batchSchema = object({
  batch_id: string().defined(),
  mode: string().oneOf(BATCH_MODES).required(),
  object_count: number().integer().min(0).required(),
  checkpoint_version: number().integer().min(0).required(),
  resumed: boolean().required(),
  slices: array(number().integer().min(0).required()).required(),
  planned_at: string().required(),
  max_partitions_per_merge: number().integer().min(1).required(),
  backlog_objects: number().integer().min(0).required(),
  next_after: string().nullable().defined(),
});

/** A Map iteration's input (`ItemSelector`): the batch and one slice index; every key follows from them. */
export const sliceRefSchema = object({
  input: object({
    batch_id: string().required(),
    slice: number().integer().min(0).required(),
  }).required(),
});

/** A lambda state that names its batch only (`"batch_id.$": "$.batch.batch_id"`). */
export const batchRefSchema = object({ batch_id: string().required() });

const countsRecord = mixed<Record<string, number>>(
  (value: unknown): value is Record<string, number> =>
    typeof value === 'object' && value !== null && Object.values(value).every((n) => typeof n === 'number'),
);

export const totalsSchema = object({
  slices: number().integer().required(),
  objects: number().integer().required(),
  lines_read: number().integer().required(),
  blank_lines: number().integer().required(),
  quarantined: number().integer().required(),
  quarantined_by_reason: countsRecord.required(),
  already_quarantined: number().integer().min(0).required(),
  staged_rows: number().integer().required(),
  date_min: string().nullable().defined(),
  date_max: string().nullable().defined(),
  horizon_from: string().required(),
  horizon_to: string().required(),
});

export const dedupSchema = object({
  staged_rows: number().integer().required(),
  inserts: number().integer().required(),
  already_inserted: number().integer().required(),
  duplicates_in_batch: number().integer().required(),
  duplicates_existing: number().integer().required(),
  conflicts: number().integer().required(),
  already_quarantined: number().integer().min(0).required(),
  enriched: number().integer().required(),
  no_account: number().integer().required(),
  no_subscription: number().integer().required(),
  partitions: number().integer().required(),
  groups: array(
    object({
      group: number().integer().min(0).required(),
      type_min: string().required(),
      type_max: string().required(),
      date_min: string().required(),
      date_max: string().required(),
    }).required(),
  ).required(),
});
