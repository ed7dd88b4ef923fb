import { InvalidInputError } from '../errors';
import type { CheckpointWrite, LeaseRequest, PendingBatch } from '../ports/state-store';

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
