/**
 * Errors whose `name` is their ASL error code, so `Retry`/`Catch` in state-machines/*.asl.json match on it.
 * Transient ones are retried by the state machine; the others fail the run with the checkpoint untouched.
 */
export class EventLakeError extends Error {
  constructor(name: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }
}

/**
 * The ASL error names of the pipeline's errors; the ASL and its tests refer to these constants' values. Two more
 * names are defined beside the only code that throws them: `EventLake.UnreadableObject` (src/raw/errors.ts,
 * caught inside ValidateSlice, which quarantines the object, so it never fails a state) and `EventLake.Cancelled`
 * (IterationCancelledError in src/runtime/local-orchestrator.ts: local Map iterations stopped after another one
 * failed; never the run's error).
 */
export const ErrorNames = {
  /** Retryable: throttling, a busy store, a lost race for a lock. */
  Transient: 'EventLake.Transient',
  ObjectNotFound: 'EventLake.ObjectNotFound',
  CheckpointConflict: 'EventLake.CheckpointConflict',
  ConservationViolated: 'EventLake.ConservationViolated',
  InvalidInput: 'EventLake.InvalidInput',
  Sql: 'EventLake.SqlError',
  Config: 'EventLake.ConfigError',
} as const;

export type ErrorName = (typeof ErrorNames)[keyof typeof ErrorNames];

export class TransientError extends EventLakeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorNames.Transient, message, options);
  }
}

export class ObjectNotFoundError extends EventLakeError {
  constructor(readonly key: string) {
    super(ErrorNames.ObjectNotFound, `object not found: ${key}`);
  }
}

export class CheckpointConflictError extends EventLakeError {
  constructor(name: string, expected: number, actual: number) {
    super(
      ErrorNames.CheckpointConflict,
      `checkpoint "${name}" is at version ${actual}, expected ${expected}: another run committed first`,
    );
  }
}

export class ConservationError extends EventLakeError {
  constructor(message: string) {
    super(ErrorNames.ConservationViolated, message);
  }
}

export class InvalidInputError extends EventLakeError {
  constructor(message: string) {
    super(ErrorNames.InvalidInput, message);
  }
}

export class SqlError extends EventLakeError {
  constructor(statementName: string, message: string, options?: { cause?: unknown }) {
    super(ErrorNames.Sql, `${statementName}: ${message}`, options);
  }
}

export class ConfigError extends EventLakeError {
  constructor(message: string) {
    super(ErrorNames.Config, message);
  }
}
