import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who called what, as IAM sees it. Every AWS call the offline proof makes (through the SDK interception,
 * through the Step Functions Athena integration, and the calls Athena itself makes with its caller's
 * permissions) becomes one `CallRecord` per IAM authorization request, attributed to the principal the
 * runner set for the current async context.
 */

/** One IAM authorization request: an action on resources, with the request's condition keys. */
export interface IamRequest {
  /** IAM action, `service-prefix:Action` (e.g. `s3:GetObject`, `dynamodb:BatchGetItem`). */
  readonly action: string;
  /** ARNs the action is authorized against; `['*']` for actions that take no resource. */
  readonly resources: readonly string[];
  /** Condition keys the request carries (e.g. `s3:prefix` for s3:ListBucket). */
  readonly context?: Readonly<Record<string, string | string[]>>;
}

export interface CallRecord extends IamRequest {
  /** The principal (role) the runner set with `recorder.run`, or `UNATTRIBUTED`. */
  readonly principal: string;
  /** The calling client's SDK `serviceId` (`S3`, `DynamoDB`, `Athena`), or `Glue`/`S3` for calls Athena makes. */
  readonly service: string;
  /** The API operation (`ListObjectsV2`, `BatchGetItem`, `StartQueryExecution`, ...). */
  readonly operation: string;
  /**
   * Set when a service makes the call on the principal's behalf rather than the principal's own code:
   * `'athena'` (Glue and S3 calls Athena makes with its caller's permissions), `'states'` (calls a Step
   * Functions service integration makes with the state machine role).
   */
  readonly via?: string;
}

/** The account, Region and partition ARNs are built in. */
export interface AwsScope {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
}

export const DEFAULT_SCOPE: AwsScope = { account: '123456789012', region: 'us-east-1', partition: 'aws' };

/** The principal of calls made outside any `recorder.run`. */
export const UNATTRIBUTED = '(unattributed)';

export interface CallRecorderOptions {
  /** @default '123456789012' */
  readonly account?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default 'aws' */
  readonly partition?: string;
}

export class CallRecorder {
  readonly scope: AwsScope;
  private readonly context = new AsyncLocalStorage<string>();
  private readonly records: CallRecord[] = [];

  constructor(options: CallRecorderOptions = {}) {
    this.scope = {
      account: options.account ?? DEFAULT_SCOPE.account,
      region: options.region ?? DEFAULT_SCOPE.region,
      partition: options.partition ?? DEFAULT_SCOPE.partition,
    };
    if (!/^\d{12}$/.test(this.scope.account))
      throw new RangeError(`not an AWS account id: ${this.scope.account}`);
  }

  /** Runs `fn` with `principal` as the caller of every AWS call made in its async context (awaits included). */
  run<T>(principal: string, fn: () => T): T {
    if (typeof principal !== 'string' || principal.length === 0) {
      throw new TypeError('CallRecorder.run: the principal must be a non-empty string');
    }
    return this.context.run(principal, fn);
  }

  /** The principal of the current async context, or `UNATTRIBUTED`. */
  get principal(): string {
    return this.context.getStore() ?? UNATTRIBUTED;
  }

  /** Records one call's authorization requests, attributed to `options.principal` or the current principal. */
  record(
    service: string,
    operation: string,
    requests: readonly IamRequest[],
    options: { readonly principal?: string; readonly via?: string } = {},
  ): void {
    const principal = options.principal ?? this.principal;
    for (const request of requests) {
      this.records.push({
        principal,
        service,
        operation,
        action: request.action,
        resources: [...request.resources],
        ...(request.context !== undefined ? { context: { ...request.context } } : {}),
        ...(options.via !== undefined ? { via: options.via } : {}),
      });
    }
  }

  /** Every record so far, in call order. */
  get calls(): readonly CallRecord[] {
    return this.records;
  }

  callsBy(principal: string): CallRecord[] {
    return this.records.filter((record) => record.principal === principal);
  }

  clear(): void {
    this.records.length = 0;
  }
}
