import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fixedClock, type Clock } from '../../src/ports/clock';
import type { PipelineConfig } from '../../src/pipeline/config';
import { openLocalLake, type LocalLake } from '../../src/runtime/local-lake';

export interface TestLake extends LocalLake {
  readonly progressLines: string[];
  cleanup(): Promise<void>;
}

/** A fresh lake in a temp folder with a fixed clock (default 2024-04-08T12:00:00Z). */
export async function makeTestLake(options: { clock?: Clock; config?: Partial<PipelineConfig>; dir?: string } = {}): Promise<TestLake> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'eventlake-test-')));
  const progressLines: string[] = [];
  const lake = await openLocalLake(dir, {
    clock: options.clock ?? fixedClock('2024-04-08T12:00:00Z'),
    config: options.config ?? {},
    progress: (m) => progressLines.push(m),
    threads: 2,
  });
  return {
    ...lake,
    progressLines,
    cleanup: async () => {
      await lake.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Writes NDJSON lines as a raw object (gzip by default), returning its key. */
export async function putRaw(lake: LocalLake, key: string, lines: readonly (string | object)[], gzip = true): Promise<string> {
  const text = lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';
  await lake.objects.put(key, gzip ? gzipSync(text) : Buffer.from(text, 'utf8'));
  return key;
}

let counter = 0;
/** A deterministic, valid, lower-case v4-shaped uuid for tests. */
export function uuid(n = ++counter): string {
  const hex = n.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${hex}`;
}

/** A stable UUID for a readable user name ('u1' -> 00000000-0000-4000-9000-000000007531). */
export function userUuid(name: string): string {
  const hex = Buffer.from(name, 'utf8').toString('hex').slice(0, 12).padStart(12, '0');
  return `00000000-0000-4000-9000-${hex}`;
}

export const T0 = Date.UTC(2024, 3, 7, 10, 0, 0) / 1000; // 2024-04-07T10:00:00Z

export function accountEvent(user: string, at: number, fields: Record<string, unknown> = {}, name = 'account:created') {
  return { event_uuid: uuid(), event_name: name, created_at: at, user_uuid: userUuid(user), ...fields };
}

export function subscriptionEvent(user: string, language: string, at: number, fields: Record<string, unknown>, name = 'subscription:started') {
  return { event_uuid: uuid(), event_name: name, created_at: at, user_uuid: userUuid(user), language, ...fields };
}

export function lessonEvent(user: string, language: string, at: number, name = 'lesson:started') {
  return { event_uuid: uuid(), event_name: name, created_at: at, user_uuid: userUuid(user), language, lesson_id: 'l-1' };
}

export function otherEvent(at: number, name = 'app:opened') {
  return { event_uuid: uuid(), event_name: name, created_at: at };
}

/** A Firehose-style raw key under 2024-04-07, hour `hour`, ending in `name`. */
export function rawKey(hour: number, name: string): string {
  const hh = String(hour).padStart(2, '0');
  return `raw/2024/04/07/${hh}/eventlake-raw-1-2024-04-07-${hh}-00-00-${name}.gz`;
}
