import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClient,
  type ColumnInfo,
  type QueryExecution,
} from '@aws-sdk/client-athena';
import { InvalidInputError, SqlError, TransientError } from '../../errors';
import type { SqlEngine, SqlRow, SqlStatement, SqlValue } from '../../ports/sql-engine';
import { AsyncMutex } from '../async-mutex';
import { awsErrorName, isAwsError, isServerFault, messageOf } from './aws-errors';
import { athenaLiteral, bindLiterals, scanStatements } from './athena-sql-text';
import { athenaValue } from './athena-values';
import { sleep } from './backoff';

/** One Athena query that did not succeed: the `cause` of the SqlError/TransientError thrown for it. */
export class AthenaQueryError extends Error {
  constructor(
    readonly queryExecutionId: string,
    readonly state: string,
    readonly reason: string,
    readonly errorType?: number,
  ) {
    super(`Athena query ${queryExecutionId} ${state}: ${reason}`);
    this.name = 'AthenaQueryError';
  }
}

/** What a ClientRequestToken is derived from: one statement of a (possibly multi-statement) text. */
export interface AthenaRequest {
  readonly statement: SqlStatement;
  /** The one statement sent, after splitting the text at top-level `;`. */
  readonly text: string;
  readonly params: readonly SqlValue[];
  /** Index of `text` among the statement's parts. */
  readonly part: number;
}

export interface AthenaEngineOptions {
  /** Built once per process and shared (Lambda cold start); injected so tests can mock it. */
  readonly client: AthenaClient;
  readonly workGroup: string;
  readonly database: string;
  /** @default 'AwsDataCatalog' */
  readonly catalog?: string;
  /** First wait between GetQueryExecution polls; each next wait is 1.5x longer, up to maxPollIntervalMs. @default 500 */
  readonly pollIntervalMs?: number;
  /** @default 5000 */
  readonly maxPollIntervalMs?: number;
  /** A query not finished after this long is stopped. @default 600000 (10 minutes) */
  readonly timeoutMs?: number;
  /**
   * Idempotency token per query (32-128 characters): Athena answers a repeated token with the first
   * execution instead of running again. Only for statements whose rerun would be wrong; a SELECT given
   * a fixed token would answer old rows. @default none
   */
  readonly clientRequestToken?: (request: AthenaRequest) => string | undefined;
}

const RESULTS_PAGE_SIZE = 1000;
const COMMIT_CONFLICT = /ICEBERG_COMMIT_ERROR|commit conflict/i;

/**
 * The SqlEngine on Athena (tests/ports/sql-engine.contract.ts for the port's promises).
 *
 * - Athena runs one statement per query: the text is split at top-level `;` (outside quotes and
 *   comments) and its parts run one by one; `query` answers the rows of the last part.
 * - `?` placeholders are bound client-side as escaped Athena literals (athenaLiteral, bindLiterals):
 *   Athena's ExecutionParameters are refused outside the WHERE clause of SELECT / INSERT / CTAS / UNLOAD,
 *   which rules out the classification INSERT and the DELETE. The count must match.
 * - Calls on one engine run in call order (a queue), as the port wants.
 * - Errors: TooManyRequestsException, 5xx and a FAILED query whose reason is an Iceberg commit conflict
 *   (or that Athena marks retryable) are `TransientError`; any other failure is `SqlError` naming the
 *   statement, with an `AthenaQueryError` (or the SDK error) as cause.
 */
export class AthenaEngine implements SqlEngine {
  private readonly client: AthenaClient;
  private readonly workGroup: string;
  private readonly database: string;
  private readonly catalog: string;
  private readonly pollIntervalMs: number;
  private readonly maxPollIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly clientRequestToken: AthenaEngineOptions['clientRequestToken'];
  private readonly queue = new AsyncMutex();
  private closed = false;

  constructor(options: AthenaEngineOptions) {
    for (const [what, value] of [
      ['workGroup', options.workGroup],
      ['database', options.database],
    ] as const) {
      if (typeof value !== 'string' || value.length === 0)
        throw new InvalidInputError(`AthenaEngine: ${what} must be a non-empty string`);
    }
    this.client = options.client;
    this.workGroup = options.workGroup;
    this.database = options.database;
    this.catalog = options.catalog ?? 'AwsDataCatalog';
    this.pollIntervalMs = nonNegative('pollIntervalMs', options.pollIntervalMs ?? 500);
    this.maxPollIntervalMs = Math.max(
      this.pollIntervalMs,
      nonNegative('maxPollIntervalMs', options.maxPollIntervalMs ?? 5000),
    );
    this.timeoutMs = nonNegative('timeoutMs', options.timeoutMs ?? 600_000);
    this.clientRequestToken = options.clientRequestToken;
  }

  async run(statement: SqlStatement, params: readonly SqlValue[] = []): Promise<void> {
    await this.queue.run(() => this.execute(statement, params, false));
  }

  query<T extends SqlRow = SqlRow>(statement: SqlStatement, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.queue.run(() => this.execute(statement, params, true)) as Promise<T[]>;
  }

  /** Refuses further statements; the injected client stays open (it is shared). */
  close(): Promise<void> {
    return this.queue.run(() => {
      this.closed = true;
      return Promise.resolve();
    });
  }

  private async execute(
    statement: SqlStatement,
    params: readonly SqlValue[],
    read: boolean,
  ): Promise<SqlRow[]> {
    if (this.closed) throw new SqlError(statement.name, 'the engine is closed');
    const { statements, placeholders } = scanStatements(statement.text);
    if (statements.length === 0) throw new SqlError(statement.name, 'the text holds no statement');
    const expected = placeholders.reduce((sum, n) => sum + n, 0);
    if (expected !== params.length) {
      throw new SqlError(
        statement.name,
        `expects ${expected} parameter(s) for its ? placeholders, got ${params.length}`,
      );
    }
    let offset = 0;
    let rows: SqlRow[] = [];
    for (const [part, text] of statements.entries()) {
      const count = placeholders[part] ?? 0;
      const partParams = params.slice(offset, offset + count);
      offset += count;
      const id = await this.start({ statement, text, params: partParams, part });
      const execution = await this.waitFor(statement, id);
      if (read && part === statements.length - 1)
        rows = await this.results(statement, id, execution.StatementType);
    }
    return rows;
  }

  private async start(request: AthenaRequest): Promise<string> {
    const { statement, text, params } = request;
    let queryString: string;
    try {
      queryString = bindLiterals(text, params.map(athenaLiteral));
    } catch (error) {
      throw new SqlError(statement.name, messageOf(error), { cause: error });
    }
    const token = this.clientRequestToken?.(request);
    if (token !== undefined && (token.length < 32 || token.length > 128)) {
      throw new SqlError(statement.name, `ClientRequestToken must be 32-128 characters, got ${token.length}`);
    }
    const output = await this.call(statement, 'StartQueryExecution', () =>
      this.client.send(
        new StartQueryExecutionCommand({
          QueryString: queryString,
          QueryExecutionContext: { Database: this.database, Catalog: this.catalog },
          WorkGroup: this.workGroup,
          ...(token !== undefined ? { ClientRequestToken: token } : {}),
        }),
      ),
    );
    if (output.QueryExecutionId === undefined)
      throw new SqlError(statement.name, 'Athena returned no QueryExecutionId');
    return output.QueryExecutionId;
  }

  /** Polls with growing waits until the query ends; answers its execution when SUCCEEDED, else throws. */
  private async waitFor(statement: SqlStatement, id: string): Promise<QueryExecution> {
    const deadline = Date.now() + this.timeoutMs;
    let wait = this.pollIntervalMs;
    let lastState = 'QUEUED';
    for (;;) {
      let execution: QueryExecution | undefined;
      try {
        execution = (await this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id })))
          .QueryExecution;
      } catch (error) {
        // Throttled while polling: the query runs on, so keep polling (slower) rather than abandon it.
        if (!isAwsError(error, 'TooManyRequestsException') && !isServerFault(error)) {
          throw new SqlError(statement.name, `GetQueryExecution ${id}: ${messageOf(error)}`, {
            cause: error,
          });
        }
      }
      const status = execution?.Status;
      lastState = status?.State ?? lastState;
      if (execution !== undefined && lastState === 'SUCCEEDED') return execution;
      if (lastState === 'FAILED' || lastState === 'CANCELLED') {
        const reason = status?.StateChangeReason ?? status?.AthenaError?.ErrorMessage ?? 'no reason given';
        const cause = new AthenaQueryError(id, lastState, reason, status?.AthenaError?.ErrorType);
        if (
          lastState === 'FAILED' &&
          (COMMIT_CONFLICT.test(reason) || status?.AthenaError?.Retryable === true)
        ) {
          throw new TransientError(`${statement.name}: Athena query ${id} failed, retryable: ${reason}`, {
            cause,
          });
        }
        throw new SqlError(statement.name, lastState === 'CANCELLED' ? `cancelled: ${reason}` : reason, {
          cause,
        });
      }
      if (Date.now() + wait > deadline) return this.giveUp(statement, id, lastState);
      await sleep(wait);
      wait = Math.min(this.maxPollIntervalMs, Math.ceil(wait * 1.5));
    }
  }

  /** Past the timeout: stop the query (best effort); still queued means Athena is busy (transient). */
  private async giveUp(statement: SqlStatement, id: string, state: string): Promise<never> {
    await this.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => undefined);
    const message = `Athena query ${id} still ${state} after ${this.timeoutMs} ms: stopped`;
    const cause = new AthenaQueryError(id, state, 'timed out');
    if (state === 'QUEUED') throw new TransientError(`${statement.name}: ${message}`, { cause });
    throw new SqlError(statement.name, message, { cause });
  }

  /** Every row of a finished query, page by page; a SELECT's first row is the header and is skipped. */
  private async results(
    statement: SqlStatement,
    id: string,
    statementType: string | undefined,
  ): Promise<SqlRow[]> {
    const rows: SqlRow[] = [];
    let columns: ColumnInfo[] | undefined;
    let nextToken: string | undefined;
    let first = true;
    do {
      const page = await this.call(statement, 'GetQueryResults', () =>
        this.client.send(
          new GetQueryResultsCommand({
            QueryExecutionId: id,
            MaxResults: RESULTS_PAGE_SIZE,
            ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
          }),
        ),
      );
      columns ??= page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
      const pageRows = page.ResultSet?.Rows ?? [];
      const skip = first && statementType !== 'DDL' && statementType !== 'UTILITY' ? 1 : 0;
      for (const row of pageRows.slice(skip)) rows.push(this.toRow(statement, columns, row.Data ?? []));
      first = false;
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
    return rows;
  }

  private toRow(
    statement: SqlStatement,
    columns: readonly ColumnInfo[],
    data: readonly { VarCharValue?: string }[],
  ): SqlRow {
    try {
      return Object.fromEntries(
        columns.map((column, i) => [
          column.Name ?? `_col${i}`,
          athenaValue(column.Type, data[i]?.VarCharValue),
        ]),
      );
    } catch (error) {
      throw new SqlError(statement.name, `cannot read a result value: ${messageOf(error)}`, { cause: error });
    }
  }

  /** One Athena API call: throttling and 5xx are transient, anything else a SqlError naming the statement. */
  private async call<T>(statement: SqlStatement, operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (isAwsError(error, 'TooManyRequestsException') || isServerFault(error)) {
        throw new TransientError(
          `${statement.name}: Athena ${operation} failed with ${awsErrorName(error) ?? 'an error'}, retry later: ${messageOf(error)}`,
          { cause: error },
        );
      }
      throw new SqlError(statement.name, `Athena ${operation}: ${messageOf(error)}`, { cause: error });
    }
  }
}

function nonNegative(what: string, value: number): number {
  if (!Number.isFinite(value) || value < 0)
    throw new InvalidInputError(`AthenaEngine: ${what} must be a non-negative number`);
  return value;
}
