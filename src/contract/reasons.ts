/** The closed set of quarantine reasons. Adding one is a contract change: update docs/quarantine.md. */
export const QUARANTINE_REASONS = [
  'unreadable_object',
  'unsupported_key',
  'not_a_regular_file',
  'object_vanished',
  'invalid_utf8',
  'invalid_characters',
  'too_large',
  'too_deep',
  'not_json',
  'not_an_object',
  'duplicate_key',
  'forbidden_key',
  'missing_field',
  'invalid_uuid',
  'invalid_event_name',
  'invalid_created_at',
  'invalid_payload',
  'duplicate_conflict',
] as const;

export type QuarantineReason = (typeof QUARANTINE_REASONS)[number];

/**
 * The reasons that quarantine a whole raw object (one record, `line_no` null, counted as one line); every
 * other reason is about one line.
 */
export const OBJECT_REASONS = [
  'unreadable_object',
  'unsupported_key',
  'not_a_regular_file',
  'object_vanished',
] as const satisfies readonly QuarantineReason[];

/** The reasons a replay can re-validate: those of one line, but for duplicate_conflict (a decision against stored data, not the contract) (docs/quarantine.md#replay). */
export const REPLAYABLE_REASONS: readonly QuarantineReason[] = QUARANTINE_REASONS.filter(
  (r) => !(OBJECT_REASONS as readonly string[]).includes(r) && r !== 'duplicate_conflict',
);
