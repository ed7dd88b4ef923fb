/** The closed set of quarantine reasons. Adding one is a contract change: update docs/quarantine.md. */
export const QUARANTINE_REASONS = [
  'unreadable_object',
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
