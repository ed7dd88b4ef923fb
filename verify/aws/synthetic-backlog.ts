import { addHours } from 'date-fns';
import type { S3Fake } from '../fakes/s3-fake';
import type { SdkCall, ServiceHandler } from '../fakes/sdk-intercept';

/** S3 answers at most 1,000 keys per ListObjectsV2 page (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html). */
const MAX_KEYS = 1000;

/**
 * An outage's backlog for the planner: ListObjectsV2 on the raw bucket answers `objects` keys of
 * `bytes / objects` each, spread over the hour prefixes of the last `hours` hours, in S3's order and
 * pages; every other call goes to the S3 fake. Nothing is stored: only the listing is synthetic.
 */
export class SyntheticBacklog implements ServiceHandler {
  private readonly keys: string[] = [];
  private readonly size: number;

  constructor(
    private readonly s3: S3Fake,
    private readonly bucket: string,
    objects: number,
    bytes: number,
    hours: number,
    now = new Date(),
  ) {
    this.size = Math.floor(bytes / objects);
    for (let i = 0; i < objects; i++) {
      const iso = addHours(now, -(i % hours)).toISOString();
      const prefix = `raw/${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(11, 13)}/`;
      this.keys.push(`${prefix}backlog-${String(i).padStart(8, '0')}.gz`);
    }
    this.keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  }

  handle(call: SdkCall): Promise<unknown> {
    if (call.operation !== 'ListObjectsV2' || call.input.Bucket !== this.bucket) return this.s3.handle(call);
    const prefix = typeof call.input.Prefix === 'string' ? call.input.Prefix : '';
    const max = Math.min(typeof call.input.MaxKeys === 'number' ? call.input.MaxKeys : MAX_KEYS, MAX_KEYS);
    const start = typeof call.input.ContinuationToken === 'string' ? Number(call.input.ContinuationToken) : 0;
    const matching = this.keys.filter((k) => k.startsWith(prefix));
    const page = matching.slice(start, start + max);
    const truncated = start + max < matching.length;
    return Promise.resolve({
      Contents: page.map((Key) => ({ Key, Size: this.size, ETag: '"backlog"', LastModified: new Date(0) })),
      KeyCount: page.length,
      IsTruncated: truncated,
      ...(truncated ? { NextContinuationToken: String(start + max) } : {}),
      Prefix: prefix,
      MaxKeys: max,
      Name: this.bucket,
      $metadata: { httpStatusCode: 200 },
    });
  }
}
