import type { SliceRef } from '../../src/pipeline/validate-slice';

/**
 * The pipeline's reference to one slice, from a Map iteration's input: the payload carries the batch id and
 * the slice index only; the manifest's key follows from the batch id (src/ports/layout.ts).
 */
export function sliceRefOf(input: { readonly batch_id: string; readonly slice: number }): SliceRef {
  return { batch_id: input.batch_id, slice: input.slice };
}
