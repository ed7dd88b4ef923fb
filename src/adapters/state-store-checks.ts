import { InvalidInputError } from '../errors';
import {
  FOLDED_BASE_UUID,
  type CheckpointWrite,
  type LeaseRequest,
  type PendingBatch,
  type VersionWrite,
} from '../ports/state-store';
import {
  MAX_EVENT_UUID_BYTES,
  MAX_FIELD_NAME_BYTES,
  MAX_FIELDS_PER_VERSION,
  utf8Bytes,
} from './version-fold';

/** Argument checks every StateStore adapter applies before touching its store, with the same messages. */

export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function isPendingBatch(value: unknown): value is PendingBatch {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>).batchId === 'string' &&
    typeof (value as Record<string, unknown>).manifestKey === 'string'
  );
}

export function checkName(what: string, name: string): void {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidInputError(`${what} must be a non-empty string`);
}

export function checkLeaseRequest(request: LeaseRequest): void {
  checkName('lease name', request.name);
  checkName('lease owner', request.owner);
  if (!isFiniteNumber(request.nowMs)) throw new InvalidInputError('acquireLease: nowMs must be a finite number');
  if (!isFiniteNumber(request.ttlMs) || request.ttlMs <= 0) {
    throw new InvalidInputError('acquireLease: ttlMs must be a positive number');
  }
}

export function checkCheckpointWrite(write: CheckpointWrite): void {
  checkName('checkpoint name', write.name);
  if (!isCount(write.expectedVersion)) {
    throw new InvalidInputError('putCheckpoint: expectedVersion must be a non-negative integer');
  }
  if (write.pending !== undefined && !isPendingBatch(write.pending)) {
    throw new InvalidInputError('putCheckpoint: pending must be {batchId: string, manifestKey: string}');
  }
  if (write.lastBatchId !== undefined && typeof write.lastBatchId !== 'string') {
    throw new InvalidInputError('putCheckpoint: lastBatchId must be a string');
  }
  if (write.committedAt !== undefined && typeof write.committedAt !== 'string') {
    throw new InvalidInputError('putCheckpoint: committedAt must be a string');
  }
  if (write.processedKeys?.some((key) => typeof key !== 'string' || key.length === 0)) {
    throw new InvalidInputError('putCheckpoint: processedKeys must be non-empty strings');
  }
}

/**
 * A version write both stores accept. Field names and the uuid's length are the caller's (the pipeline's
 * constants and validated event uuids), so limits on them are programming errors; field values come from
 * events and are cut, not refused (src/adapters/version-fold.ts).
 */
export function checkVersionWrite(write: VersionWrite, index: number): void {
  const where = `putVersions: writes[${index}]`;
  if (typeof write.entity !== 'string' || write.entity.length === 0) {
    throw new InvalidInputError(`${where}.entity must be a non-empty string`);
  }
  const { eventUuid, createdAt, fields } = write.version;
  if (typeof eventUuid !== 'string' || eventUuid.length === 0) {
    throw new InvalidInputError(`${where}.version.eventUuid must be a non-empty string`);
  }
  if (eventUuid === FOLDED_BASE_UUID) {
    throw new InvalidInputError(
      `${where}.version.eventUuid ${FOLDED_BASE_UUID} is reserved for folded history`,
    );
  }
  if (utf8Bytes(eventUuid) > MAX_EVENT_UUID_BYTES) {
    throw new InvalidInputError(`${where}.version.eventUuid is longer than ${MAX_EVENT_UUID_BYTES} bytes`);
  }
  if (!isFiniteNumber(createdAt)) {
    throw new InvalidInputError(`${where}.version.createdAt must be a finite number`);
  }
  if (
    typeof fields !== 'object' ||
    fields === null ||
    Array.isArray(fields) ||
    Object.values(fields as Record<string, unknown>).some((value) => typeof value !== 'string')
  ) {
    throw new InvalidInputError(`${where}.version.fields must be an object of strings`);
  }
  const names = Object.keys(fields);
  if (names.length > MAX_FIELDS_PER_VERSION) {
    throw new InvalidInputError(`${where}.version.fields has more than ${MAX_FIELDS_PER_VERSION} fields`);
  }
  const badName = names.find((name) => name.length === 0 || utf8Bytes(name) > MAX_FIELD_NAME_BYTES);
  if (badName !== undefined) {
    throw new InvalidInputError(
      `${where}.version.fields: a field name must be 1 to ${MAX_FIELD_NAME_BYTES} bytes, got ${JSON.stringify(badName.slice(0, 80))}`,
    );
  }
}
