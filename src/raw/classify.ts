/**
 * Readable raw object or poison, with a reason: the one place both runtimes (folder and S3) decide it.
 *
 * A poison object is one the pipeline cannot name, open or read whole. It must never block the batch:
 * ValidateSlice writes ONE quarantine record for it (line_no null, counted as one line in the
 * conservation law) and goes on; the commit puts its key in the processed ledger like any other, so the
 * next run does not meet it again. The object itself is left where it is, for an operator to fix
 * (docs/quarantine.md, "Raw objects that cannot be read").
 *
 * - `unsupported_key`: the key breaks the key rules (src/ports/object-key.ts: a backslash, NUL, over
 *   1024 bytes, an empty, `.` or `..` segment, the reserved `.eventlake-tmp-` prefix), or the folder store
 *   listed a file name that is not UTF-8 under its escaped key. S3 lists such keys; a folder holds such
 *   names; no adapter will open them.
 * - `not_a_regular_file`: the folder store listed a FIFO, socket, device or symbolic link (never opened).
 * - `object_vanished`: the object was planned but is gone when ValidateSlice opens it (NoSuchKey on S3,
 *   ENOENT locally): a lifecycle rule or an operator removed it. See `vanishedObject`.
 */
import { isUtf8 } from 'node:buffer';
import { MAX_KEY_BYTES, objectKeyProblem, unescapeFileName } from '../ports/object-key';
import type { ObjectInfo } from '../ports/object-store';
import type { QuarantineReason } from '../contract/reasons';

export type PoisonReason = Extract<QuarantineReason, 'unsupported_key' | 'not_a_regular_file' | 'object_vanished'>;

export interface PoisonObject {
  readonly reason: PoisonReason;
  /** For the quarantine record's `errors`: names the key (JSON-escaped), what is wrong and what to do. */
  readonly message: string;
}

const NEW_KEY_HINT = 'a new key is picked up by the next run; this one is recorded as processed';

/** Why `info` (as listed, or as carried in a manifest) cannot be read, or undefined for a readable object. */
export function classifyRawObject(info: ObjectInfo): PoisonObject | undefined {
  const key = JSON.stringify(info.key);
  if (info.escapedName === true) {
    const bytes = safeUnescape(info.key);
    const notUtf8 = bytes === undefined || !isUtf8(bytes);
    const what = notUtf8
      ? 'its file name is not valid UTF-8 (the key shows each byte that is not as \\xHH, and a backslash as \\\\)'
      : 'its file name contains a backslash (shown as \\\\ in the key)';
    return {
      reason: 'unsupported_key',
      message:
        `raw object ${key}: ${what}, so no object key can name it and it was not read. ` +
        `Rename the file to a UTF-8 name without "\\" (${NEW_KEY_HINT}).`,
    };
  }
  const rule = objectKeyProblem(info.key);
  if (rule !== undefined) {
    return {
      reason: 'unsupported_key',
      message:
        `raw object ${key}: the key ${rule}, so it was not read. Copy the object to a key of at most ` +
        `${MAX_KEY_BYTES} bytes of UTF-8, "/" between non-empty segments, without "\\", NUL, "." or ".." ` +
        `segments or the ".eventlake-tmp-" prefix (${NEW_KEY_HINT}), then delete this one.`,
    };
  }
  if (info.notRegularFile !== undefined) {
    return {
      reason: 'not_a_regular_file',
      message:
        `raw object ${key} is not a regular file but ${info.notRegularFile}: only regular files are read ` +
        '(symbolic links are not followed; FIFOs, sockets and devices are never opened), so nothing was read. ' +
        `Put the data there as a regular file under a new key (for a link: copy its target) (${NEW_KEY_HINT}), then remove this entry.`,
    };
  }
  return undefined;
}

/** The poison record of a planned object that is gone when it is opened (ObjectNotFoundError). */
export function vanishedObject(key: string): PoisonObject {
  return {
    reason: 'object_vanished',
    message:
      `raw object ${JSON.stringify(key)} was listed when the batch was planned but no longer exists as a ` +
      'regular file when it was read (deleted or moved by an operator or a lifecycle rule), so none of its ' +
      `lines were loaded. To load them, put the object back under a new key (${NEW_KEY_HINT}).`,
  };
}

function safeUnescape(key: string): Buffer | undefined {
  try {
    return unescapeFileName(key);
  } catch {
    return undefined;
  }
}
