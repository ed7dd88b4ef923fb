/** The numeric limits of the event contract (docs/contract.md#event-lines, docs/reliability.md#bad-input). */

/** Largest accepted line, in bytes (not characters), without its `\n` / `\r\n` terminator. */
export const MAX_LINE_BYTES = 256 * 1024;

/** Deepest accepted nesting of objects/arrays; the top-level object is depth 1. */
export const MAX_DEPTH = 32;

/** How much of a raw line (or object) the quarantine keeps, and how much the reader keeps of an oversized line. */
export const RAW_KEEP_BYTES = 64 * 1024;

/** Earliest accepted `created_at`: 2000-01-01T00:00:00Z in Unix seconds. */
export const MIN_CREATED_AT = 946_684_800;

/** How far after its arrival an event's `created_at` may be (clock skew allowance), in seconds. */
export const MAX_FUTURE_SECONDS = 86_400;

/** A `created_at` above this many seconds (year 5138) is taken as milliseconds sent by mistake, and rejected. */
export const MILLISECONDS_THRESHOLD = 1e11;

/** Keys rejected at any depth: they pollute prototypes when a parsed object is merged or assigned. */
export const FORBIDDEN_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];
