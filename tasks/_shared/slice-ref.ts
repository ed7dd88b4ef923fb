import type { SliceRef } from '../../src/pipeline/validate-slice';
import { Layout } from '../../src/ports/layout';

/**
 * The pipeline's reference to one slice, from a Map iteration's input: the payload carries the batch id and
 * the slice index only; the manifest's key follows from the batch id (src/ports/layout.ts).
 */
export function sliceRefOf(input: { readonly batch_id: string; readonly slice: number }): SliceRef {
  return { batch_id: input.batch_id, manifest_key: Layout.manifest(input.batch_id), slice: input.slice };
}
