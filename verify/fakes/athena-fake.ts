import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  InvalidRequestException,
  TooManyRequestsException,
  type QueryExecution,
  type QueryExecutionState,
} from '@aws-sdk/client-athena';
import { spliceAt } from '../../src/adapters/aws/athena-sql-text';
import { analyzeStatement, tokenize, type StatementAnalysis, type TableRef } from './athena-statement';
import { arns, athenaRequests } from './iam-actions';
import { DEFAULT_SCOPE, type AwsScope, type CallRecorder, type IamRequest } from './recorder';
import type { SdkCall, ServiceHandler } from './sdk-intercept';

/**
 * An Athena fake that runs each statement on a real engine (the `executor`, DuckDB in the proof) and
 * answers as Athena does, for two callers:
 *
 * (a) the AthenaEngine (src/adapters/aws/athena-engine.ts) through the SDK interception: StartQueryExecution,
 *     GetQueryExecution polling, GetQueryResults paging, StopQueryExecution;
 * (b) the Step Functions Athena integration `arn:aws:states:::athena:startQueryExecution.sync`
 *     (`startQueryExecutionSync`): StartQueryExecution with the state's Parameters, polls to a terminal
 *     state, answers the GetQueryExecution response; a FAILED or CANCELLED query fails the task with
 *     `States.TaskFailed` (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html:
 *     "States.TaskFailed: A Task state failed during the execution"; the Athena integration page,
 *     https://docs.aws.amazon.com/step-functions/latest/dg/connect-athena.html, names no other error for a
 *     failed .sync job), its Cause the GetQueryExecution response as JSON; an Athena API error fails it as
 *     `Athena.<ExceptionName>` (the prefix the repo's ASL already retries, e.g. Athena.TooManyRequestsException).
 *
 * Rules it enforces, each with where Athena documents it:
 * - StartQueryExecution request (https://docs.aws.amazon.com/athena/latest/APIReference/API_StartQueryExecution.html):
 *   QueryString 1..262,144 bytes ("The maximum query string length (262,144 bytes) is not an adjustable
 *   quota", https://repost.aws/knowledge-center/athena-query-string-length, refused with
 *   InvalidRequestException "'queryString' failed to satisfy constraint: Member must have length less than
 *   or equal to 262144"); ClientRequestToken 32..128 characters; each ExecutionParameters value 1..1024
 *   characters; a query result location from the request or the workgroup. Athena runs one statement per
 *   query: a text with two is refused with InvalidRequestException "Only one sql statement is allowed".
 * - ClientRequestToken: "If another StartQueryExecution request is received, the same response is returned
 *   and another query is not created. An error is returned if a parameter, such as QueryString, has
 *   changed" (API reference) - the earlier QueryExecutionId (and so its state, even FAILED) without running
 *   again; a changed request is InvalidRequestException "Idempotent parameters do not match".
 * - Execution parameters (https://docs.aws.amazon.com/athena/latest/ug/querying-with-prepared-statements.html):
 *   "parameterized queries are supported only for SELECT, INSERT INTO, CTAS, and UNLOAD statements";
 *   "? parameters can be placed only in the WHERE clause"; values are applied "sequentially to the
 *   parameters in the query in the order in which the parameters occur", so their count must equal the
 *   `?` placeholders outside quotes and comments. Athena reports these when the query runs: the query FAILS
 *   (a count mismatch as "Incorrect number of parameters: expected N but found M", ErrorCategory 2,
 *   ErrorType 1006, as Athena answers it: https://github.com/aws/aws-sdk-js-v3/issues/3837).
 * - MERGE: "A user error is raised when a single target table row matches more than one source row"
 *   (https://docs.aws.amazon.com/athena/latest/ug/merge-into-statement.html); the query FAILS with Athena's
 *   (Trino's) "MERGE_TARGET_ROW_MULTIPLE_MATCHES: One MERGE target table row matched more than one source row"
 *   when the executor reports `mergeSourceDuplicateKeys > 0`.
 * - DELETE, UPDATE and MERGE only on Iceberg tables: "DELETE is transactional and is only supported for Apache
 *   Iceberg tables" (https://docs.aws.amazon.com/athena/latest/ug/delete-statement.html; likewise
 *   https://docs.aws.amazon.com/athena/latest/ug/update-statement.html and merge-into-statement.html). Its
 *   WHERE takes no `?` (rule above), so `eventlake forget`'s `DELETE FROM ... WHERE user_uuid = '<id>'` must
 *   format the id into the text. The query FAILS (NOT_SUPPORTED, the fake's wording) before anything runs.
 * - At most 100 partitions written per statement: "If you exceed this limitation, you may receive the error
 *   message HIVE_TOO_MANY_OPEN_PARTITIONS: Exceeded limit of 100 open writers for partitions/buckets"
 *   (https://docs.aws.amazon.com/athena/latest/ug/ctas-insert-into.html; Iceberg tables fail the same way:
 *   https://dev.classmethod.jp/articles/checked-whether-the-error-that-occurs-when-creating-more-than-100-partitions-with-ctas-insert-in-athena-also-occurs-in-iceberg).
 * - A table's LOCATION is a folder with a trailing slash, never a file or a glob
 *   (https://docs.aws.amazon.com/athena/latest/ug/tables-location-format.html): the fake refuses to be built
 *   over such a table (the proof builds it from the template's Glue tables).
 * - OPTIMIZE and VACUUM (https://docs.aws.amazon.com/athena/latest/ug/optimize-statement.html,
 *   https://docs.aws.amazon.com/athena/latest/ug/vacuum-statement.html): "supported only for Apache Iceberg
 *   tables", so on any other table (or one the catalog does not hold) the query FAILS; the syntax is
 *   `OPTIMIZE [db_name.]table_name REWRITE DATA USING BIN_PACK [WHERE predicate]` and
 *   `VACUUM [database_name.]target_table`, anything else FAILS; "Only partition columns are allowed in the
 *   WHERE clause predicate. Specifying a non-partition column will cause the query to fail"; VACUUM on a
 *   table whose data is at a bucket's root fails with "GENERIC_INTERNAL_ERROR: Path missing in file system
 *   location"; and VACUUM deletes files with its caller's s3:DeleteObject ("If the permission is not present,
 *   the VACUUM query will succeed, but the files will not be deleted"), which the fake records on the
 *   table's files so the IAM judgement asks for it. The error texts other than Athena's quoted one are the
 *   fake's own wording: Athena documents the rules, not their messages.
 * - Queries run asynchronously: QUEUED, then RUNNING, then SUCCEEDED / FAILED / CANCELLED
 *   (QueryExecutionStatus, https://docs.aws.amazon.com/athena/latest/APIReference/API_QueryExecutionStatus.html):
 *   the first GetQueryExecution answers QUEUED, the next RUNNING (the statement starts then), so a caller
 *   that does not poll never sees the result.
 * - GetQueryResults (https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryResults.html):
 *   MaxResults 1..1000, NextToken paging; a SELECT's first row is the header; only a SUCCEEDED query has
 *   results. Result files: `<id>.csv` + `.csv.metadata` for DML, `<id>.txt` + `.txt.metadata` for DDL,
 *   `<id>-manifest.csv` for INSERT INTO (https://docs.aws.amazon.com/athena/latest/ug/querying-finding-output-files.html).
 *
 * IAM it records (CallRecorder), per https://docs.aws.amazon.com/step-functions/latest/dg/connect-athena.html
 * ("IAM policies for calling Amazon Athena": athena:StartQueryExecution, athena:GetQueryExecution,
 * athena:StopQueryExecution for .sync, s3:GetBucketLocation / GetObject / ListBucket / PutObject, glue
 * GetDatabase / GetTable / GetPartitions / UpdateTable / BatchCreatePartition / CreateTable / DeleteTable)
 * and https://docs.aws.amazon.com/athena/latest/ug/fine-grained-access-to-glue-resources.html (a Glue table
 * is authorized on its catalog, database and table ARNs): the Step Functions calls as the state machine
 * role (`via: 'states'`), and the Glue and S3 calls Athena makes with its caller's permissions (`via:
 * 'athena'`): for each table read glue:GetDatabase, glue:GetTable, glue:GetPartitions (Hive tables),
 * s3:ListBucket (s3:prefix = the location) and s3:GetObject on its files; for the table written
 * glue:UpdateTable (Iceberg commit) or glue:BatchCreatePartition (Hive partitions), s3:PutObject /
 * s3:DeleteObject on the files it added / removed; s3:GetBucketLocation and s3:PutObject on the result
 * files; GetQueryResults also needs s3:GetObject on them ("the IAM principal with permission to call
 * GetQueryResults also must have permissions to the Amazon S3 GetObject action for the Athena query
 * results location", GetQueryResults API).
 *
 * Executor contract: `executor(sql)` runs the statement and answers its columns, rows (strings or null) and
 * stats. A statement Athena would fail on its stats (duplicate MERGE keys, >100 partitions) is never
 * committed by Athena; an executor that cannot undo should return `commit` / `rollback` callbacks, which
 * the fake calls once it has judged the stats (without them the fake reports FAILED but cannot undo).
 */

export interface AthenaColumn {
  readonly name: string;
  /** Athena's type name (`varchar`, `integer`, `bigint`, `double`, `boolean`, `date`, `timestamp`, ...). */
  readonly type: string;
}

export interface AthenaExecutorStats {
  /** Partitions the statement wrote (Athena refuses more than 100). */
  readonly partitionsWritten?: number;
  /** MERGE: source rows beyond the first matching one target row (Athena refuses any). */
  readonly mergeSourceDuplicateKeys?: number;
  /** Rows inserted / updated / deleted: the UpdateCount of GetQueryResults for DML writes. */
  readonly rowsAffected?: number;
}

export interface AthenaExecutorResult {
  readonly columns: readonly AthenaColumn[];
  readonly rows: readonly (readonly (string | null)[])[];
  readonly stats?: AthenaExecutorStats;
  /** Two-phase executors: called when the fake lets the statement succeed. */
  readonly commit?: () => Promise<void>;
  /** Two-phase executors: called when the fake fails (or a stop cancelled) the statement after it ran. */
  readonly rollback?: () => Promise<void>;
}

export interface AthenaExecutorContext {
  readonly queryExecutionId: string;
  readonly database?: string;
  readonly catalog?: string;
}

export type AthenaExecutor = (sql: string, context: AthenaExecutorContext) => Promise<AthenaExecutorResult>;

export interface AthenaTableLocation {
  /** `s3://bucket/prefix/` of the table's files. */
  readonly location: string;
  readonly iceberg: boolean;
  /**
   * Partition projection (`projection.enabled`): Athena computes the partitions from the table properties
   * instead of reading them from Glue, so it makes no glue:GetPartitions call
   * (https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html). @default false
   */
  readonly partitionProjection?: boolean;
  /** Iceberg: the columns of the partition spec (the only columns OPTIMIZE's WHERE may name). @default none */
  readonly partitionColumns?: readonly string[];
}

/** A failure to inject: the next matching query FAILS with it instead of running. */
export interface AthenaFailure {
  readonly reason: string;
  /** @default 1000 (user error, https://docs.aws.amazon.com/athena/latest/ug/error-reference.html) */
  readonly errorType?: number;
  /** 1 SYSTEM, 2 USER, 3 OTHER. @default 2 */
  readonly errorCategory?: number;
  /** @default false */
  readonly retryable?: boolean;
}

export type QueryMatcher = string | RegExp | ((sql: string) => boolean);

export interface AthenaFakeOptions {
  readonly executor: AthenaExecutor;
  /** @default '123456789012' */
  readonly account?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  readonly partition?: string;
  /** Where the Step Functions, Glue and S3 calls are recorded. */
  readonly recorder?: CallRecorder;
  /** Tables by `database.table`: their S3 location and format. */
  readonly tables?: Readonly<Record<string, AthenaTableLocation>>;
  /** The workgroup's query result location, `s3://bucket/prefix/`. */
  readonly resultLocation?: string;
  /** Workgroups that exist. @default any name */
  readonly workGroups?: readonly string[];
  /** Lists object keys under a location (e.g. the S3Fake), so S3 records name each file. */
  readonly objects?: { listKeys(bucket: string, prefix: string): string[] };
  /** GetQueryExecution answers that report QUEUED before the query starts running. @default 1 */
  readonly queuedPolls?: number;
  /** GetQueryExecution answers that report RUNNING at least, even for a statement that ran at once. @default 1 */
  readonly runningPolls?: number;
}

interface Outcome {
  readonly state: 'SUCCEEDED' | 'FAILED';
  readonly failure?: Required<AthenaFailure>;
  readonly result?: AthenaExecutorResult;
}

interface Execution {
  readonly id: string;
  readonly request: StartRequest;
  readonly analysis: StatementAnalysis;
  readonly principal: string;
  readonly outputLocation: string;
  readonly submitted: Date;
  readonly injected?: AthenaFailure;
  state: QueryExecutionState;
  queuedSeen: number;
  runningSeen: number;
  completed?: Date;
  outcome?: Outcome;
  run?: Promise<void>;
  stateChangeReason?: string;
  failure?: Required<AthenaFailure>;
  result?: AthenaExecutorResult;
}

interface StartRequest {
  readonly QueryString: string;
  readonly ClientRequestToken?: string;
  readonly QueryExecutionContext?: { readonly Database?: string; readonly Catalog?: string };
  readonly ResultConfiguration?: { readonly OutputLocation?: string };
  readonly WorkGroup?: string;
  readonly ExecutionParameters?: readonly string[];
}

const START_FIELDS = new Set([
  'QueryString',
  'ClientRequestToken',
  'QueryExecutionContext',
  'ResultConfiguration',
  'WorkGroup',
  'ExecutionParameters',
]);
const MAX_QUERY_BYTES = 262_144;
const MAX_PARTITIONS = 100;
const PARAMETER_KINDS = new Set(['SELECT', 'INSERT', 'CTAS', 'UNLOAD']);
/** Words of an OPTIMIZE predicate that are not column names (keywords, literal prefixes, type names). */
const PREDICATE_WORDS = new Set([
  'AND', 'OR', 'NOT', 'IN', 'BETWEEN', 'IS', 'NULL', 'TRUE', 'FALSE', 'LIKE', 'DATE', 'TIMESTAMP', 'AS',
  'VARCHAR', 'INTEGER', 'BIGINT', 'DOUBLE', 'BOOLEAN',
]);
/** Row-level changes Athena runs on Iceberg tables only. */
const ROW_LEVEL_KINDS = new Set(['DELETE', 'UPDATE', 'MERGE']);
const WRITE_KINDS = new Set(['INSERT', 'CTAS', 'MERGE', 'DELETE', 'UPDATE', 'OPTIMIZE', 'VACUUM', 'UNLOAD']);

function invalidRequest(message: string): InvalidRequestException {
  return new InvalidRequestException({
    message,
    $metadata: { httpStatusCode: 400 },
    AthenaErrorCode: 'INVALID_INPUT',
  });
}

function metadata(): {
  httpStatusCode: number;
  requestId: string;
  attempts: number;
  totalRetryDelay: number;
} {
  return { httpStatusCode: 200, requestId: randomUUID(), attempts: 1, totalRetryDelay: 0 };
}

function s3Location(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (match === null) throw new RangeError(`not an s3:// location: ${uri}`);
  return { bucket: match[1] as string, prefix: match[2] as string };
}

function matches(matcher: QueryMatcher, sql: string): boolean {
  if (typeof matcher === 'string') return sql.includes(matcher);
  if (matcher instanceof RegExp) return matcher.test(sql);
  return matcher(sql);
}

export class AthenaFake implements ServiceHandler {
  readonly scope: AwsScope;
  private readonly executor: AthenaExecutor;
  private readonly recorder: CallRecorder | undefined;
  private readonly tables: ReadonlyMap<string, AthenaTableLocation>;
  private readonly resultLocation: string | undefined;
  private readonly workGroups: ReadonlySet<string> | undefined;
  private readonly objects: AthenaFakeOptions['objects'];
  private readonly queuedPolls: number;
  private readonly runningPolls: number;
  private readonly executions = new Map<string, Execution>();
  private readonly tokens = new Map<string, string>();
  private readonly failures: { matcher: QueryMatcher; failure: AthenaFailure }[] = [];
  private readonly throttles: QueryMatcher[] = [];

  constructor(options: AthenaFakeOptions) {
    this.scope = {
      account: options.account ?? DEFAULT_SCOPE.account,
      region: options.region ?? DEFAULT_SCOPE.region,
      partition: options.partition ?? DEFAULT_SCOPE.partition,
    };
    this.executor = options.executor;
    this.recorder = options.recorder;
    this.tables = new Map(
      Object.entries(options.tables ?? {}).map(([name, table]) => [name.toLowerCase(), table]),
    );
    for (const [name, table] of this.tables) {
      s3Location(table.location);
      // "Use a trailing slash"; "Do not use file names, underscores, wildcards, or glob patterns for specifying
      // file locations" (https://docs.aws.amazon.com/athena/latest/ug/tables-location-format.html): a table is
      // every file under a folder (e.g. erasure_salt over erasures/, never erasures/salt.json).
      if (!table.location.endsWith('/') || /[*?]/.test(table.location)) {
        throw new RangeError(`Athena fake: table ${name}: LOCATION must be a folder with a trailing slash, not a file or a pattern: ${table.location}`);
      }
    }
    if (options.resultLocation !== undefined) s3Location(options.resultLocation);
    this.resultLocation = options.resultLocation;
    this.workGroups = options.workGroups === undefined ? undefined : new Set(options.workGroups);
    this.objects = options.objects;
    this.queuedPolls = options.queuedPolls ?? 1;
    this.runningPolls = options.runningPolls ?? 1;
  }

  // ------------------------------------------------------------------------------------ test hooks

  /** The next query whose text matches FAILS with `failure` when it runs (the executor is not called). */
  failNext(matcher: QueryMatcher, failure: AthenaFailure): void {
    this.failures.push({ matcher, failure });
  }

  /** The next matching StartQueryExecution is throttled (TooManyRequestsException), as Athena does at its concurrency quota. */
  throttleNext(matcher: QueryMatcher = () => true): void {
    this.throttles.push(matcher);
  }

  /** Every query started, in order. */
  get queries(): readonly {
    id: string;
    query: string;
    state: QueryExecutionState;
    token?: string;
    principal: string;
  }[] {
    return [...this.executions.values()].map((e) => ({
      id: e.id,
      query: e.request.QueryString,
      state: e.state,
      ...(e.request.ClientRequestToken !== undefined ? { token: e.request.ClientRequestToken } : {}),
      principal: e.principal,
    }));
  }

  workGroupOf(queryExecutionId: string): string | undefined {
    const execution = this.executions.get(queryExecutionId);
    return execution === undefined ? undefined : (execution.request.WorkGroup ?? 'primary');
  }

  // ---------------------------------------------------------------------------- SDK (AthenaEngine)

  iamRequests(call: SdkCall): readonly IamRequest[] {
    return athenaRequests(call.operation, call.input, this.scope, (id) => this.workGroupOf(id));
  }

  async handle(call: SdkCall): Promise<unknown> {
    const principal = this.recorder?.principal ?? '(unattributed)';
    switch (call.operation) {
      case 'StartQueryExecution':
        return { $metadata: metadata(), QueryExecutionId: this.start(call.input, principal).id };
      case 'GetQueryExecution':
        return { $metadata: metadata(), QueryExecution: this.poll(call.input.QueryExecutionId) };
      case 'GetQueryResults':
        return { $metadata: metadata(), ...this.results(call.input, principal) };
      case 'StopQueryExecution':
        await this.stop(call.input.QueryExecutionId);
        return { $metadata: metadata() };
      default:
        throw new Error(`Athena fake: ${call.operation} is not modelled`);
    }
  }

  // ------------------------------------------------------------------ Step Functions integration

  /**
   * What `arn:aws:states:::athena:startQueryExecution.sync` does with the state's Parameters: starts the
   * query, polls it to a terminal state, and answers the GetQueryExecution response (JSON: timestamps as
   * epoch milliseconds). Records the calls as `principal` (the state machine role), `via: 'states'`.
   * Aborting `signal` stops the query (athena:StopQueryExecution) and rejects with the signal's reason.
   */
  async startQueryExecutionSync(
    parameters: unknown,
    options: { readonly principal?: string; readonly signal?: AbortSignal } = {},
  ): Promise<{ QueryExecution: Record<string, unknown> }> {
    const principal = options.principal ?? this.recorder?.principal ?? '(unattributed)';
    const record = (operation: string, requests: readonly IamRequest[]) =>
      this.recorder?.record('Athena', operation, requests, { principal, via: 'states' });
    if (typeof parameters !== 'object' || parameters === null)
      throw statesError('States.Runtime', 'Parameters must be an object');
    const unknown = Object.keys(parameters).filter((field) => !START_FIELDS.has(field));
    if (unknown.length > 0) {
      throw statesError(
        'States.Runtime',
        `The field(s) ${unknown.join(', ')} are not supported by Step Functions for athena:startQueryExecution`,
      );
    }
    const input = parameters as Record<string, unknown>;
    record('StartQueryExecution', athenaRequests('StartQueryExecution', input, this.scope, undefined));
    let execution: Execution;
    try {
      execution = this.start(input, principal);
    } catch (error) {
      if (
        error instanceof Error &&
        (error instanceof InvalidRequestException || error instanceof TooManyRequestsException)
      ) {
        throw statesError(`Athena.${error.name}`, error.message);
      }
      throw error;
    }
    const workGroup = [arns.athenaWorkGroup(this.scope, execution.request.WorkGroup ?? 'primary')];
    for (;;) {
      if (options.signal?.aborted === true) {
        record('StopQueryExecution', [{ action: 'athena:StopQueryExecution', resources: workGroup }]);
        await this.stop(execution.id);
        throw options.signal.reason;
      }
      record('GetQueryExecution', [{ action: 'athena:GetQueryExecution', resources: workGroup }]);
      const answer = { QueryExecution: toJson(this.poll(execution.id)) as Record<string, unknown> };
      if (execution.state === 'SUCCEEDED') return answer;
      if (execution.state === 'FAILED' || execution.state === 'CANCELLED') {
        throw statesError('States.TaskFailed', JSON.stringify(answer));
      }
      if (execution.state === 'RUNNING' && execution.run !== undefined) await execution.run;
      else await nextTurn();
    }
  }

  // ------------------------------------------------------------------------------------- internals

  private start(input: Readonly<Record<string, unknown>>, principal: string): Execution {
    const request = this.checkStart(input);
    const token = request.ClientRequestToken;
    if (token !== undefined) {
      const earlier = this.executions.get(this.tokens.get(token) ?? '');
      if (earlier !== undefined) {
        if (!sameRequest(earlier.request, request))
          throw invalidRequest('Idempotent parameters do not match');
        return earlier;
      }
    }
    const throttled = this.throttles.findIndex((matcher) => matches(matcher, request.QueryString));
    if (throttled >= 0) {
      this.throttles.splice(throttled, 1);
      throw new TooManyRequestsException({
        message:
          'You have exceeded the limit for the number of queries you can run concurrently. Please reduce the number of concurrent queries submitted by this account. Contact customer support to request a concurrent query limit increase.',
        $metadata: { httpStatusCode: 400 },
        Reason: 'CONCURRENT_QUERY_LIMIT_EXCEEDED',
      });
    }
    const analysis = analyzeStatement(
      request.QueryString,
      request.QueryExecutionContext?.Database ?? 'default',
    );
    if (analysis.statements !== 1) {
      throw invalidRequest(`Only one sql statement is allowed. Got: ${request.QueryString}`);
    }
    const location = request.ResultConfiguration?.OutputLocation ?? this.resultLocation;
    if (location === undefined) {
      throw invalidRequest(
        'No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input.',
      );
    }
    const id = randomUUID();
    const injected = this.failures.findIndex(({ matcher }) => matches(matcher, request.QueryString));
    const execution: Execution = {
      id,
      request,
      analysis,
      principal,
      outputLocation: `${location.endsWith('/') ? location : `${location}/`}${id}.${analysis.statementType === 'DML' ? 'csv' : 'txt'}`,
      submitted: new Date(),
      ...(injected >= 0 ? { injected: this.failures.splice(injected, 1)[0]?.failure } : {}),
      state: 'QUEUED',
      queuedSeen: 0,
      runningSeen: 0,
    };
    this.executions.set(id, execution);
    if (token !== undefined) this.tokens.set(token, id);
    return execution;
  }

  private checkStart(input: Readonly<Record<string, unknown>>): StartRequest {
    const query = input.QueryString;
    if (typeof query !== 'string' || query.length === 0) {
      throw invalidRequest(
        "1 validation error detected: Value at 'queryString' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    }
    if (Buffer.byteLength(query, 'utf8') > MAX_QUERY_BYTES) {
      throw invalidRequest(
        "'queryString' failed to satisfy constraint: Member must have length less than or equal to 262144",
      );
    }
    const token = input.ClientRequestToken;
    if (token !== undefined && (typeof token !== 'string' || token.length < 32 || token.length > 128)) {
      const length = typeof token === 'string' ? token.length : 0;
      throw invalidRequest(
        `1 validation error detected: Value at 'clientRequestToken' failed to satisfy constraint: Member must have length ${length < 32 ? 'greater than or equal to 32' : 'less than or equal to 128'}`,
      );
    }
    const parameters = input.ExecutionParameters;
    if (parameters !== undefined) {
      if (!Array.isArray(parameters) || parameters.length === 0) {
        throw invalidRequest(
          "1 validation error detected: Value at 'executionParameters' failed to satisfy constraint: Member must have length greater than or equal to 1",
        );
      }
      for (const value of parameters) {
        if (typeof value !== 'string' || value.length === 0 || value.length > 1024) {
          throw invalidRequest(
            "1 validation error detected: Value at 'executionParameters' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1]",
          );
        }
      }
    }
    const workGroup = input.WorkGroup;
    if (workGroup !== undefined && typeof workGroup !== 'string')
      throw invalidRequest('WorkGroup must be a string');
    if (this.workGroups !== undefined && !this.workGroups.has(workGroup ?? 'primary')) {
      throw invalidRequest(`WorkGroup ${workGroup ?? 'primary'} is not found.`);
    }
    return {
      QueryString: query,
      ...(token !== undefined ? { ClientRequestToken: token } : {}),
      ...(input.QueryExecutionContext !== undefined
        ? { QueryExecutionContext: input.QueryExecutionContext as StartRequest['QueryExecutionContext'] }
        : {}),
      ...(input.ResultConfiguration !== undefined
        ? { ResultConfiguration: input.ResultConfiguration as StartRequest['ResultConfiguration'] }
        : {}),
      ...(workGroup !== undefined ? { WorkGroup: workGroup } : {}),
      ...(parameters !== undefined ? { ExecutionParameters: parameters as string[] } : {}),
    };
  }

  private execution(id: unknown): Execution {
    const execution = typeof id === 'string' ? this.executions.get(id) : undefined;
    if (execution === undefined) throw invalidRequest(`QueryExecution ${String(id)} was not found`);
    return execution;
  }

  /** One GetQueryExecution: moves the query along (QUEUED -> RUNNING -> terminal) and answers it. */
  private poll(id: unknown): QueryExecution {
    const execution = this.execution(id);
    if (execution.state === 'QUEUED') {
      if (execution.queuedSeen >= this.queuedPolls) {
        execution.state = 'RUNNING';
        execution.run = this.execute(execution);
      } else execution.queuedSeen += 1;
    }
    if (execution.state === 'RUNNING') {
      if (execution.runningSeen >= this.runningPolls && execution.outcome !== undefined)
        this.finish(execution, execution.outcome);
      else execution.runningSeen += 1;
    }
    return this.describe(execution);
  }

  private finish(execution: Execution, outcome: Outcome): void {
    execution.state = outcome.state;
    execution.completed = new Date();
    if (outcome.failure !== undefined) {
      execution.failure = outcome.failure;
      execution.stateChangeReason = outcome.failure.reason;
    }
    if (outcome.result !== undefined) execution.result = outcome.result;
  }

  /**
   * StopQueryExecution: a queued query never runs; a running one is CANCELLED and its statement, when the
   * executor returns, is rolled back, never committed. A query whose statement already ended has finished:
   * the stop changes nothing (as for any query in a terminal state).
   */
  private async stop(id: unknown): Promise<void> {
    const execution = this.execution(id);
    if (execution.state !== 'QUEUED' && execution.state !== 'RUNNING') return;
    if (execution.outcome !== undefined) {
      this.finish(execution, execution.outcome);
      return;
    }
    execution.state = 'CANCELLED';
    execution.completed = new Date();
    // The fake's own wording: Athena does not document the reason text of a cancelled query.
    execution.stateChangeReason = 'Query was cancelled by user';
    await execution.run;
  }

  /** Runs the statement (once RUNNING) and judges it; the outcome shows at a later poll. */
  private async execute(execution: Execution): Promise<void> {
    const fail = (reason: string, errorType = 1000, errorCategory = 2, retryable = false): Outcome => ({
      state: 'FAILED',
      failure: { reason, errorType, errorCategory, retryable },
    });
    const { analysis, request } = execution;
    let outcome: Outcome;
    if (execution.injected !== undefined) {
      const { reason, errorType = 1000, errorCategory = 2, retryable = false } = execution.injected;
      outcome = fail(reason, errorType, errorCategory, retryable);
    } else {
      const parameters = request.ExecutionParameters ?? [];
      if (parameters.length > 0 && !PARAMETER_KINDS.has(analysis.kind)) {
        // Fake's wording: Athena documents the rule but not its error text.
        outcome = fail(
          `NOT_SUPPORTED: execution parameters are supported only for SELECT, INSERT INTO, CTAS and UNLOAD statements, not ${analysis.kind}`,
        );
      } else if (ROW_LEVEL_KINDS.has(analysis.kind) && this.isHiveTarget(analysis.target)) {
        // Fake's wording: Athena documents the rule but not its error text.
        outcome = fail(`NOT_SUPPORTED: ${analysis.kind} is only supported for Apache Iceberg tables`);
      } else if (parameters.length > 0 && analysis.placeholdersOutsideWhere > 0) {
        outcome = fail('NOT_SUPPORTED: ? parameters can be placed only in the WHERE clause');
      } else if (parameters.length !== analysis.placeholders.length) {
        outcome = fail(
          `Incorrect number of parameters: expected ${analysis.placeholders.length} but found ${parameters.length}`,
          1006,
        );
      } else {
        outcome = await this.runStatement(
          execution,
          spliceAt(request.QueryString, analysis.placeholders, parameters),
        );
      }
    }
    execution.outcome = outcome;
  }

  /** Whether `target` is a table this fake knows that is not Iceberg (an unknown table is not judged here). */
  private isHiveTarget(target: StatementAnalysis['target']): boolean {
    if (target === undefined) return false;
    const table = this.tables.get(tableName(target));
    return table !== undefined && !table.iceberg;
  }

  private async runStatement(execution: Execution, sql: string): Promise<Outcome> {
    const { analysis, request } = execution;
    const onBehalf = (service: string, operation: string, requests: readonly IamRequest[]) =>
      this.recorder?.record(service, operation, requests, { principal: execution.principal, via: 'athena' });
    if (analysis.kind === 'OPTIMIZE' || analysis.kind === 'VACUUM') {
      const refused = this.tableMaintenanceError(analysis, sql);
      if (refused !== undefined) return { state: 'FAILED', failure: { reason: refused, errorType: 1000, errorCategory: 2, retryable: false } };
    }
    this.recordCatalogReads(analysis, onBehalf);
    if (analysis.kind === 'VACUUM' && analysis.target !== undefined) {
      const table = this.tables.get(tableName(analysis.target));
      if (table !== undefined) {
        const { bucket, prefix } = s3Location(table.location);
        const keys = this.listLocation(table.location);
        onBehalf('S3', 'DeleteObject', [
          { action: 's3:DeleteObject', resources: keys.length > 0 ? this.objectArns(bucket, prefix, keys) : [arns.s3Object(this.scope, bucket, `${prefix}*`)] },
        ]);
      }
    }
    const target = analysis.target === undefined ? undefined : this.tables.get(tableName(analysis.target));
    const before = target === undefined ? undefined : this.listLocation(target.location);
    let result: AthenaExecutorResult;
    try {
      result = await this.executor(sql, {
        queryExecutionId: execution.id,
        ...(request.QueryExecutionContext?.Database !== undefined
          ? { database: request.QueryExecutionContext.Database }
          : {}),
        ...(request.QueryExecutionContext?.Catalog !== undefined
          ? { catalog: request.QueryExecutionContext.Catalog }
          : {}),
      });
    } catch (error) {
      return {
        state: 'FAILED',
        failure: {
          reason: error instanceof Error ? error.message : String(error),
          errorType: 1000,
          errorCategory: 2,
          retryable: false,
        },
      };
    }
    checkResult(result);
    let failure: Required<AthenaFailure> | undefined;
    if (analysis.kind === 'MERGE' && (result.stats?.mergeSourceDuplicateKeys ?? 0) > 0) {
      failure = {
        reason:
          'MERGE_TARGET_ROW_MULTIPLE_MATCHES: One MERGE target table row matched more than one source row',
        errorType: 1000,
        errorCategory: 2,
        retryable: false,
      };
    } else if ((result.stats?.partitionsWritten ?? 0) > MAX_PARTITIONS) {
      failure = {
        reason: 'HIVE_TOO_MANY_OPEN_PARTITIONS: Exceeded limit of 100 open writers for partitions/buckets',
        errorType: 1000,
        errorCategory: 2,
        retryable: false,
      };
    }
    if (failure !== undefined || execution.state === 'CANCELLED') await result.rollback?.();
    else await result.commit?.();
    this.recordWrites(execution, target, before, result, failure === undefined, onBehalf);
    return failure === undefined ? { state: 'SUCCEEDED', result } : { state: 'FAILED', failure, result };
  }

  /** Why Athena would refuse this OPTIMIZE or VACUUM (the rules in the class comment), or undefined. */
  private tableMaintenanceError(analysis: StatementAnalysis, sql: string): string | undefined {
    const target = analysis.target;
    if (target === undefined) return `SYNTAX_ERROR: ${analysis.kind} names no table`;
    const table = this.tables.get(tableName(target));
    if (table === undefined) return `TABLE_NOT_FOUND: Table '${target.database}.${target.table}' does not exist`;
    if (!table.iceberg) return `NOT_SUPPORTED: ${analysis.kind} is supported only for Apache Iceberg tables; ${target.database}.${target.table} is not one`;
    const words = tokenize(sql);
    // After the keyword: the table name ([db.]table, possibly quoted), then the statement's own words.
    let i = 1;
    while (words[i]?.type === 'word' || words[i]?.type === 'quoted') {
      const dot = words[i + 1];
      i += dot?.type === 'punct' && dot.text === '.' ? 2 : 1;
      if (!(dot?.type === 'punct' && dot.text === '.')) break;
    }
    const rest = words.slice(i);
    if (analysis.kind === 'VACUUM') {
      if (rest.length > 0) return 'SYNTAX_ERROR: VACUUM takes a table name only: VACUUM [database_name.]target_table';
      if (s3Location(table.location).prefix.replace(/\/$/, '') === '') {
        return `GENERIC_INTERNAL_ERROR: Path missing in file system location: ${table.location}`;
      }
      return undefined;
    }
    const upper = rest.map((t) => (t.type === 'word' ? t.upper : ''));
    if (upper.slice(0, 4).join(' ') !== 'REWRITE DATA USING BIN_PACK' || (rest.length > 4 && upper[4] !== 'WHERE')) {
      return 'SYNTAX_ERROR: expected OPTIMIZE [db_name.]table_name REWRITE DATA USING BIN_PACK [WHERE predicate]';
    }
    const partitions = new Set((table.partitionColumns ?? []).map((c) => c.toLowerCase()));
    for (const [at, token] of rest.slice(5).entries()) {
      const next = rest[5 + at + 1];
      if (token.type === 'quoted' || (token.type === 'word' && !PREDICATE_WORDS.has(token.upper) && !/^\d/.test(token.text) && !(next?.type === 'punct' && next.text === '('))) {
        const column = token.text.toLowerCase();
        if (!partitions.has(column)) {
          return `NOT_SUPPORTED: OPTIMIZE: only partition columns are allowed in the WHERE clause predicate; ${column} is not a partition column of ${target.database}.${target.table}`;
        }
      }
    }
    return undefined;
  }

  private recordCatalogReads(
    analysis: StatementAnalysis,
    onBehalf: (service: string, operation: string, requests: readonly IamRequest[]) => void,
  ): void {
    const catalog = arns.glueCatalog(this.scope);
    const target = analysis.target;
    const tables = [
      ...analysis.reads,
      ...(target !== undefined && !analysis.reads.some((r) => tableName(r) === tableName(target))
        ? [target]
        : []),
    ];
    for (const ref of tables) {
      const database = arns.glueDatabase(this.scope, ref.database);
      const table = arns.glueTable(this.scope, ref.database, ref.table);
      onBehalf('Glue', 'GetDatabase', [{ action: 'glue:GetDatabase', resources: [catalog, database] }]);
      onBehalf('Glue', 'GetTable', [{ action: 'glue:GetTable', resources: [catalog, database, table] }]);
    }
    for (const ref of analysis.reads) {
      const info = this.tables.get(tableName(ref));
      const table = [
        catalog,
        arns.glueDatabase(this.scope, ref.database),
        arns.glueTable(this.scope, ref.database, ref.table),
      ];
      // Hive tables keep partitions in Glue; an Iceberg table keeps them in its own metadata files.
      if (info?.iceberg !== true && info?.partitionProjection !== true)
        onBehalf('Glue', 'GetPartitions', [{ action: 'glue:GetPartitions', resources: table }]);
      if (info === undefined) continue;
      const { bucket, prefix } = s3Location(info.location);
      onBehalf('S3', 'ListObjectsV2', [
        {
          action: 's3:ListBucket',
          resources: [arns.s3Bucket(this.scope, bucket)],
          context: { 's3:prefix': prefix },
        },
      ]);
      onBehalf('S3', 'GetObject', [
        {
          action: 's3:GetObject',
          resources: this.objectArns(bucket, prefix, this.listLocation(info.location)),
        },
      ]);
    }
  }

  private recordWrites(
    execution: Execution,
    target: AthenaTableLocation | undefined,
    before: string[] | undefined,
    result: AthenaExecutorResult,
    committed: boolean,
    onBehalf: (service: string, operation: string, requests: readonly IamRequest[]) => void,
  ): void {
    const { analysis } = execution;
    const ref = analysis.target;
    if (ref !== undefined) {
      const catalog = arns.glueCatalog(this.scope);
      const table = [
        catalog,
        arns.glueDatabase(this.scope, ref.database),
        arns.glueTable(this.scope, ref.database, ref.table),
      ];
      if (analysis.kind === 'CTAS' || analysis.kind === 'CREATE_TABLE')
        onBehalf('Glue', 'CreateTable', [{ action: 'glue:CreateTable', resources: table }]);
      else if (analysis.kind === 'DROP')
        onBehalf('Glue', 'DeleteTable', [{ action: 'glue:DeleteTable', resources: table }]);
      else if (analysis.kind === 'ALTER')
        onBehalf('Glue', 'UpdateTable', [{ action: 'glue:UpdateTable', resources: table }]);
      else if (committed && WRITE_KINDS.has(analysis.kind)) {
        if (target?.iceberg === true)
          onBehalf('Glue', 'UpdateTable', [{ action: 'glue:UpdateTable', resources: table }]);
        else if ((result.stats?.partitionsWritten ?? 0) > 0) {
          onBehalf('Glue', 'BatchCreatePartition', [
            { action: 'glue:BatchCreatePartition', resources: table },
          ]);
        }
      }
    }
    if (target !== undefined && before !== undefined) {
      const { bucket, prefix } = s3Location(target.location);
      const after = this.listLocation(target.location);
      const added = after.filter((key) => !before.includes(key));
      const removed = before.filter((key) => !after.includes(key));
      if (this.objects === undefined && WRITE_KINDS.has(analysis.kind)) {
        onBehalf('S3', 'PutObject', [
          { action: 's3:PutObject', resources: this.objectArns(bucket, prefix, []) },
        ]);
      }
      if (added.length > 0)
        onBehalf('S3', 'PutObject', [
          { action: 's3:PutObject', resources: added.map((k) => arns.s3Object(this.scope, bucket, k)) },
        ]);
      if (removed.length > 0)
        onBehalf('S3', 'DeleteObject', [
          { action: 's3:DeleteObject', resources: removed.map((k) => arns.s3Object(this.scope, bucket, k)) },
        ]);
    }
    const { bucket, prefix } = s3Location(execution.outputLocation);
    const base = prefix.replace(/\.(csv|txt)$/, '');
    const files = [
      prefix,
      `${prefix}.metadata`,
      ...(analysis.kind === 'INSERT' ? [`${base}-manifest.csv`] : []),
    ];
    onBehalf('S3', 'GetBucketLocation', [
      { action: 's3:GetBucketLocation', resources: [arns.s3Bucket(this.scope, bucket)] },
    ]);
    onBehalf('S3', 'PutObject', [
      { action: 's3:PutObject', resources: files.map((key) => arns.s3Object(this.scope, bucket, key)) },
    ]);
  }

  /** The location's object keys (empty without an `objects` lister). */
  private listLocation(location: string): string[] {
    if (this.objects === undefined) return [];
    const { bucket, prefix } = s3Location(location);
    return this.objects.listKeys(bucket, prefix);
  }

  /** Each listed file's ARN; without a lister, the location as `prefix*` (every object under it). */
  private objectArns(bucket: string, prefix: string, keys: readonly string[]): string[] {
    if (this.objects === undefined) return [arns.s3Object(this.scope, bucket, `${prefix}*`)];
    return keys.map((key) => arns.s3Object(this.scope, bucket, key));
  }

  private results(
    input: Readonly<Record<string, unknown>>,
    principal: string,
  ): { ResultSet: unknown; NextToken?: string; UpdateCount?: number } {
    const execution = this.execution(input.QueryExecutionId);
    const maxResults = input.MaxResults ?? 1000;
    if (
      typeof maxResults !== 'number' ||
      !Number.isInteger(maxResults) ||
      maxResults < 1 ||
      maxResults > 1000
    ) {
      throw invalidRequest(
        `1 validation error detected: Value '${JSON.stringify(maxResults)}' at 'maxResults' failed to satisfy constraint: Member must have value ${Number(maxResults) < 1 ? 'greater than or equal to 1' : 'less than or equal to 1000'}`,
      );
    }
    if (execution.state === 'QUEUED' || execution.state === 'RUNNING') {
      throw invalidRequest(`Query has not yet finished. Current state: ${execution.state}`);
    }
    if (execution.state !== 'SUCCEEDED' || execution.result === undefined) {
      throw invalidRequest(`Query did not finish successfully. Final query state: ${execution.state}`);
    }
    const { bucket, prefix } = s3Location(execution.outputLocation);
    this.recorder?.record(
      'S3',
      'GetObject',
      [{ action: 's3:GetObject', resources: [arns.s3Object(this.scope, bucket, prefix)] }],
      {
        principal,
        via: 'athena',
      },
    );
    const { analysis } = execution;
    const { columns, rows, stats } = execution.result;
    const writes = WRITE_KINDS.has(analysis.kind) && analysis.kind !== 'UNLOAD';
    const header = analysis.kind === 'SELECT' ? [columns.map((c) => c.name)] : [];
    const all = writes ? [] : [...header, ...rows];
    const offset = input.NextToken === undefined ? 0 : decodeResultsToken(input.NextToken, execution.id);
    const page = all.slice(offset, offset + maxResults);
    const next = offset + page.length;
    return {
      ResultSet: {
        Rows: page.map((row) => ({
          Data: row.map((value) => (value === null ? {} : { VarCharValue: value })),
        })),
        ResultSetMetadata: {
          ColumnInfo: (writes ? [] : columns).map((c) => ({
            CatalogName: 'hive',
            SchemaName: '',
            TableName: '',
            Name: c.name,
            Label: c.name,
            Type: c.type,
            Precision: 0,
            Scale: 0,
            Nullable: 'UNKNOWN',
            CaseSensitive: c.type === 'varchar',
          })),
        },
      },
      ...(next < all.length ? { NextToken: encodeResultsToken(execution.id, next) } : {}),
      ...(writes ? { UpdateCount: stats?.rowsAffected ?? 0 } : {}),
    };
  }

  private describe(execution: Execution): QueryExecution {
    const { request, analysis } = execution;
    return {
      QueryExecutionId: execution.id,
      Query: request.QueryString,
      StatementType: analysis.statementType,
      ResultConfiguration: { OutputLocation: execution.outputLocation },
      QueryExecutionContext: { ...request.QueryExecutionContext },
      // ExecutionParameters: "The list of parameters is not returned in the response" (QueryExecution).
      Status: {
        State: execution.state,
        SubmissionDateTime: execution.submitted,
        ...(execution.completed !== undefined ? { CompletionDateTime: execution.completed } : {}),
        ...(execution.stateChangeReason !== undefined
          ? { StateChangeReason: execution.stateChangeReason }
          : {}),
        ...(execution.state === 'FAILED' && execution.failure !== undefined
          ? {
              AthenaError: {
                ErrorCategory: execution.failure.errorCategory,
                ErrorType: execution.failure.errorType,
                Retryable: execution.failure.retryable,
                ErrorMessage: execution.failure.reason,
              },
            }
          : {}),
      },
      Statistics: { EngineExecutionTimeInMillis: 0, DataScannedInBytes: 0, TotalExecutionTimeInMillis: 0 },
      WorkGroup: request.WorkGroup ?? 'primary',
    };
  }
}

function tableName(ref: TableRef): string {
  return `${ref.database}.${ref.table}`;
}

function sameRequest(a: StartRequest, b: StartRequest): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([x], [y]) => (x < y ? -1 : 1))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

function checkResult(result: AthenaExecutorResult): void {
  for (const row of result.rows) {
    if (row.length !== result.columns.length)
      throw new Error(
        `Athena fake: the executor answered a row of ${row.length} values for ${result.columns.length} columns`,
      );
    for (const value of row) {
      if (value !== null && typeof value !== 'string')
        throw new Error('Athena fake: executor values must be strings (Athena answers VarCharValue) or null');
    }
  }
}

function encodeResultsToken(id: string, offset: number): string {
  return Buffer.from(JSON.stringify({ id, offset }), 'utf8').toString('base64');
}

function decodeResultsToken(token: unknown, id: string): number {
  try {
    const decoded = JSON.parse(Buffer.from(String(token), 'base64').toString('utf8')) as {
      id?: unknown;
      offset?: unknown;
    };
    if (
      decoded.id === id &&
      typeof decoded.offset === 'number' &&
      Number.isInteger(decoded.offset) &&
      decoded.offset >= 0
    )
      return decoded.offset;
  } catch {
    // fall through
  }
  throw invalidRequest('The token provided is invalid.');
}

/** An error as Step Functions reports it: `name` is the ASL error name, `message` the Cause. */
function statesError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

/** The task result as JSON: Dates become epoch milliseconds. */
function toJson(value: unknown): unknown {
  if (value instanceof Date) return value.getTime();
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, toJson(v)]),
    );
  }
  return value;
}
