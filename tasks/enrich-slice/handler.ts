import type { PipelineDeps } from '../../src/pipeline/deps';
import { enrichSlice, type SliceEnrichment } from '../../src/pipeline/enrich-slice';
import { parseTaskInput, sliceRefSchema } from '../_shared/input';
import { sliceRefOf } from '../_shared/slice-ref';

/** EnrichSlice (one Map iteration): lessons get user state as of their own created_at. */
export function createHandler(deps: PipelineDeps) {
  return async (event: unknown): Promise<SliceEnrichment> => {
    const { input } = parseTaskInput('EnrichSlice', sliceRefSchema, event);
    return enrichSlice(deps, sliceRefOf(input));
  };
}
