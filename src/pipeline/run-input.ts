import { object, string, ValidationError, type InferType } from 'yup';
import { InvalidInputError } from '../errors';
import { BATCH_MODES } from '../ports/orchestrator';
import { QUARANTINE_REASONS } from '../contract/reasons';
import { REPLAY_TRANSFORM_NAMES } from '../contract/replay-transforms';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The state machine's execution input: `{mode:'scheduled'}`, `{mode:'backfill', from, to}` or
 * `{mode:'replay'}` with optional `reason`, `from`/`to` (the quarantine records' days) and `transform`.
 */
export const runInputSchema = object({
  mode: string().oneOf(BATCH_MODES).required(),
  from: string()
    .matches(DATE, 'from must be YYYY-MM-DD')
    .when('mode', { is: 'backfill', then: (s) => s.required('backfill needs from (YYYY-MM-DD)') }),
  to: string()
    .matches(DATE, 'to must be YYYY-MM-DD')
    .when('mode', { is: 'backfill', then: (s) => s.required('backfill needs to (YYYY-MM-DD)') }),
  /** Backfill and replay: continue after this key (the `next_after` of the previous batch). */
  after: string().min(1),
  /** Replay only: re-validate only the quarantine records of this reason. */
  reason: string().oneOf(QUARANTINE_REASONS),
  /** Replay only: the documented fix applied to each line first (src/contract/replay-transforms.ts). */
  transform: string().oneOf(REPLAY_TRANSFORM_NAMES),
}).noUnknown(false);

export type RunInput = InferType<typeof runInputSchema>;

export function parseRunInput(value: unknown): RunInput {
  try {
    const input = runInputSchema.validateSync(value, { strict: true, abortEarly: false, stripUnknown: false });
    if (input.mode !== 'replay' && (input.reason !== undefined || input.transform !== undefined)) {
      throw new InvalidInputError(`reason and transform are replay options, not ${input.mode} ones`);
    }
    if (input.from !== undefined && input.to !== undefined && input.from > input.to) {
      throw new InvalidInputError(`${input.mode} range is empty: from ${input.from} is after to ${input.to}`);
    }
    return input;
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    const message = error instanceof ValidationError ? error.errors.join('; ') : String(error);
    throw new InvalidInputError(`invalid run input: ${message}`);
  }
}
