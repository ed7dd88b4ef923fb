import { EventLakeError } from '../errors';

/** ASL error name of UnreadableObjectError (not retried: the bytes will not change). */
export const UNREADABLE_OBJECT_ERROR_NAME = 'EventLake.UnreadableObject';

/**
 * A raw object whose bytes cannot be turned into lines: a corrupt or truncated gzip stream. The caller quarantines
 * the whole object (reason `unreadable_object`, line_no null) and the run goes on.
 */
export class UnreadableObjectError extends EventLakeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(UNREADABLE_OBJECT_ERROR_NAME, message, options);
  }
}
