import { number, object, string, ValidationError, type InferType, type Schema } from 'yup';
import { InvalidInputError } from '../../src/errors';

/*
 * The state payloads themselves (lease, batch, totals, dedup) are defined once, in src/pipeline/payloads.ts,
 * with their TypeScript types inferred from the schemas.
 */

/** Validates a task's input at the boundary; the error names the task and every bad field. */
export function parseTaskInput<S extends Schema>(task: string, schema: S, event: unknown): InferType<S> {
  try {
    return schema.validateSync(event, { strict: true, abortEarly: false, stripUnknown: false });
  } catch (error) {
    const detail = error instanceof ValidationError ? error.errors.join('; ') : String(error);
    throw new InvalidInputError(`${task}: invalid input: ${detail}`);
  }
}

/** A Map iteration's input (`ItemSelector`): the batch and one slice index; every key follows from them. */
export const sliceRefSchema = object({
  input: object({
    batch_id: string().required(),
    slice: number().integer().min(0).required(),
  }).required(),
});

/** A lambda state that names its batch only (`"batch_id.$": "$.batch.batch_id"`). */
export const batchRefSchema = object({ batch_id: string().required() });
