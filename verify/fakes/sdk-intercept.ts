import { AthenaClient } from '@aws-sdk/client-athena';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { Client } from '@smithy/core/client';
import { iamRequestsFor } from './iam-actions';
import type { CallRecorder, IamRequest } from './recorder';

/**
 * Routes every AWS SDK v3 `client.send` in the process to an in-process handler per service, and records
 * each call's IAM requests.
 *
 * Mechanism: one patch of the shared smithy `Client.prototype.send` (every SDK v3 client class — S3Client,
 * DynamoDBClient, AthenaClient, lib-dynamodb's DynamoDBDocumentClient — inherits `send` from it). Chosen
 * over aws-sdk-client-mock because the code under proof builds its clients itself (`new S3Client({})` in
 * src/runtime/aws/deps.ts) and the proof must see *every* call of *every* service: one patch sees them all,
 * including services nobody thought to mock, and can pass the unhandled ones (DynamoDB) to the original
 * `send` untouched (full middleware stack, real endpoint) while still recording them. The service is told
 * by the client's `config.serviceId`, the operation by the command class name.
 *
 * What it does not do: handled calls skip the SDK middleware (serialization, retries, checksums), as
 * aws-sdk-client-mock does too, so a fake's throttling error reaches the caller on the first attempt where
 * the real SDK would have retried it.
 *
 * A class-level stub installed by aws-sdk-client-mock (`mockClient(S3Client)`) shadows this patch for that
 * class; do not mix the two in one test.
 */

/** One SDK call as a handler sees it. */
export interface SdkCall {
  /** The client's `config.serviceId`: `S3`, `DynamoDB`, `Athena`, ... */
  readonly service: string;
  /** The command class name without `Command`: `GetObject`, `BatchGetItem`, ... */
  readonly operation: string;
  readonly input: Readonly<Record<string, unknown>>;
}

export interface ServiceHandler {
  /** Answers the call as the service would: resolves with the command's output, rejects with its SDK error. */
  handle(call: SdkCall): Promise<unknown>;
  /** IAM requests the handler alone can name (e.g. the workgroup of a query id); undefined = the default mapping. */
  iamRequests?(call: SdkCall): readonly IamRequest[] | undefined;
}

export interface SdkInterceptionOptions {
  readonly recorder: CallRecorder;
  /** Handlers by `serviceId` (e.g. `{ S3: s3Fake, Athena: athenaFake }`). */
  readonly handlers?: Readonly<Record<string, ServiceHandler>>;
  /**
   * Services without a handler that may reach their real endpoint through the original `send` (each call
   * still recorded). A call to any other unhandled service is refused. @default 'all'
   */
  readonly passThrough?: 'all' | readonly string[];
}

export interface SdkInterception {
  /** Restores the original `send`. Idempotent. */
  uninstall(): void;
}

type Send = (
  this: Client<never, never, never, never>,
  command: unknown,
  optionsOrCb?: unknown,
  cb?: unknown,
) => unknown;

let installed: SdkInterception | undefined;

/** Installs the interception; only one may be installed at a time (uninstall the previous one first). */
export function installSdkInterception(options: SdkInterceptionOptions): SdkInterception {
  if (installed !== undefined)
    throw new Error('installSdkInterception: already installed; uninstall it first');
  const base = Client.prototype as unknown as { send: Send };
  for (const ClientClass of [S3Client, DynamoDBClient, AthenaClient]) {
    if (!Object.prototype.isPrototypeOf.call(Client.prototype, ClientClass.prototype)) {
      // Two copies of @smithy/core in node_modules: patching one would silently miss the other's clients.
      throw new Error(
        `installSdkInterception: ${ClientClass.name} does not extend the @smithy/core Client patched here`,
      );
    }
  }
  const descriptor = Object.getOwnPropertyDescriptor(base, 'send');
  if (descriptor === undefined || typeof descriptor.value !== 'function') {
    throw new Error('installSdkInterception: @smithy/core Client.prototype.send not found');
  }
  const original = descriptor.value as Send;
  const { recorder, handlers = {}, passThrough = 'all' } = options;

  const dispatch = async (
    client: Client<never, never, never, never>,
    command: unknown,
    sendOptions: unknown,
  ): Promise<unknown> => {
    const call = describe(client, command);
    const handler = handlers[call.service];
    const requests =
      handler?.iamRequests?.(call) ??
      iamRequestsFor(call.service, call.operation, call.input, recorder.scope);
    recorder.record(call.service, call.operation, requests);
    if (handler !== undefined) return handler.handle(call);
    if (passThrough !== 'all' && !passThrough.includes(call.service)) {
      throw new Error(
        `SDK interception: no handler for ${call.service} ${call.operation} and ${call.service} may not pass through`,
      );
    }
    return original.call(client, command, sendOptions);
  };

  const patched: Send = function (this, command, optionsOrCb, cb) {
    const callback =
      typeof optionsOrCb === 'function' ? optionsOrCb : typeof cb === 'function' ? cb : undefined;
    const sendOptions = typeof optionsOrCb === 'function' ? undefined : optionsOrCb;
    const result = dispatch(this, command, sendOptions);
    if (callback === undefined) return result;
    const done = callback as (error: unknown, output?: unknown) => void;
    result.then(
      (output) => done(null, output),
      (error: unknown) => done(error),
    );
    return undefined;
  };
  Object.defineProperty(base, 'send', { ...descriptor, value: patched });

  const interception: SdkInterception = {
    uninstall() {
      if (installed !== interception) return;
      Object.defineProperty(base, 'send', descriptor);
      installed = undefined;
    },
  };
  installed = interception;
  return interception;
}

function describe(client: Client<never, never, never, never>, command: unknown): SdkCall {
  const service = (client.config as { serviceId?: unknown } | undefined)?.serviceId;
  if (typeof service !== 'string')
    throw new TypeError('SDK interception: the client has no config.serviceId');
  const name = (command as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  if (typeof name !== 'string' || !name.endsWith('Command')) {
    throw new TypeError(`SDK interception: ${String(name)} is not an SDK command`);
  }
  const input = (command as { input?: unknown }).input;
  return {
    service,
    operation: name.slice(0, -'Command'.length),
    input: typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {},
  };
}
