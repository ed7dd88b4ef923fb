import { object, string, ValidationError, type InferType } from 'yup';
import { InvalidInputError } from '../errors';
import { BATCH_MODES } from '../ports/orchestrator';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The state machine's execution input: `{mode:'scheduled'}` or `{mode:'backfill', from, to}`. */
export const runInputSchema = object({
  mode: string().oneOf(BATCH_MODES).required(),
  from: string()
    .matches(DATE, 'from must be YYYY-MM-DD')
    .when('mode', { is: 'backfill', then: (s) => s.required('backfill needs from (YYYY-MM-DD)') }),
  to: string()
    .matches(DATE, 'to must be YYYY-MM-DD')
    .when('mode', { is: 'backfill', then: (s) => s.required('backfill needs to (YYYY-MM-DD)') }),
  /** Backfill only: continue the range after this raw key (the `next_after` of the previous batch). */
  after: string().min(1),
}).noUnknown(false);

export type RunInput = InferType<typeof runInputSchema>;

export function parseRunInput(value: unknown): RunInput {
  try {
    const input = runInputSchema.validateSync(value, { strict: true, abortEarly: false, stripUnknown: false });
    if (input.mode === 'backfill' && input.from !== undefined && input.to !== undefined && input.from > input.to) {
      throw new InvalidInputError(`backfill range is empty: from ${input.from} is after to ${input.to}`);
    }
    return input;
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    const message = error instanceof ValidationError ? error.errors.join('; ') : String(error);
    throw new InvalidInputError(`invalid run input: ${message}`);
  }
}
