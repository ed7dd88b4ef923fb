import { createHash } from 'node:crypto';
import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { TransientError } from '../../errors';

/** Kinesis PutRecords limits. */
export const MAX_RECORDS_PER_CALL = 500;
export const MAX_BYTES_PER_CALL = 5 * 1024 * 1024;
export const MAX_BYTES_PER_RECORD = 1024 * 1024;

export interface KinesisProducerOptions {
  readonly client: KinesisClient;
  readonly streamName: string;
  /** Attempts per batch for records Kinesis failed (throughput exceeded, internal errors). @default 8 */
  readonly maxAttempts?: number;
  /** First retry delay; doubles per attempt with full jitter. @default 100 */
  readonly baseDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onProgress?: (stats: ProducerStats) => void;
}

export interface ProducerStats {
  records: number;
  bytes: number;
  calls: number;
  retriedRecords: number;
}

/**
 * Sends NDJSON lines as newline-terminated Kinesis records, batched up to 500 records and 5 MiB per
 * PutRecords. Records a call reports as failed are sent again with backoff; after `maxAttempts` the
 * producer throws TransientError naming how many records could not be sent.
 */
export class KinesisProducer {
  readonly stats: ProducerStats = { records: 0, bytes: 0, calls: 0, retriedRecords: 0 };
  private batch: PutRecordsRequestEntry[] = [];
  private batchBytes = 0;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: KinesisProducerOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async send(line: Buffer | string): Promise<void> {
    const data = Buffer.concat([typeof line === 'string' ? Buffer.from(line, 'utf8') : line, Buffer.from('\n')]);
    const partitionKey = createHash('md5').update(data).digest('hex');
    const size = data.length + partitionKey.length;
    if (size > MAX_BYTES_PER_RECORD) {
      throw new RangeError(`a record of ${size} bytes exceeds Kinesis's 1 MiB record limit; split or drop the line before producing`);
    }
    if (this.batch.length >= MAX_RECORDS_PER_CALL || this.batchBytes + size > MAX_BYTES_PER_CALL) await this.flush();
    this.batch.push({ Data: data, PartitionKey: partitionKey });
    this.batchBytes += size;
  }

  async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const records = this.batch.length;
    const bytes = this.batchBytes;
    let pending = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    const maxAttempts = this.options.maxAttempts ?? 8;
    for (let attempt = 1; ; attempt++) {
      const response = await this.options.client.send(
        new PutRecordsCommand({ StreamName: this.options.streamName, Records: pending }),
      );
      this.stats.calls++;
      const results = response.Records ?? [];
      const failed = pending.filter((_record, i) => results[i]?.ErrorCode !== undefined);
      if (failed.length === 0) break;
      if (attempt >= maxAttempts) {
        const codes = [...new Set(results.map((r) => r.ErrorCode).filter(Boolean))].join(', ');
        throw new TransientError(
          `${failed.length} records not accepted by ${this.options.streamName} after ${attempt} attempts (${codes})`,
        );
      }
      this.stats.retriedRecords += failed.length;
      await this.sleep(Math.random() * (this.options.baseDelayMs ?? 100) * 2 ** (attempt - 1));
      pending = failed;
    }
    this.stats.records += records;
    this.stats.bytes += bytes;
    this.options.onProgress?.(this.stats);
  }
}
