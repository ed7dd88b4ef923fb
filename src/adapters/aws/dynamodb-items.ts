import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Checkpoint, CheckpointWrite, EntityKey, StateVersion } from '../../ports/state-store';

/**
 * Key design of the two DynamoDB tables (docs/aws-adapters.md):
 *
 * - user-state table, partition key `entity` (S): one item per entity (`account#<user>`,
 *   `subscription#<user>#<language>`; see `stateItemKey` for keys too long for DynamoDB) with a map
 *   `versions`: eventUuid -> {createdAt N, fields M of S, foldedSince N (the folded base only)} and `rev` N,
 *   the item's revision (absent on items written before it existed), bumped by every write.
 *   The `versions` layout is the one src/adapters/version-fold.ts sizes: change both together.
 * - control table, partition key `pk` (S) and sort key `sk` (S):
 *   - `lease#<name>` / `lease`: {owner S, acquiredAtMs N, expiresAtMs N}
 *   - `checkpoint#<name>` / `checkpoint`: {version N, pendingBatchId S, pendingManifestKey S,
 *     lastBatchId S, committedAt S} (absent attributes are absent fields)
 *   - `processed#<YYYY/MM/DD/HH of the raw key>` / `<raw key>`: one processed-ledger entry per raw object.
 */
export type Item = Record<string, AttributeValue>;

export const LEASE_SK = 'lease';
export const CHECKPOINT_SK = 'checkpoint';
/** Ledger partition of raw keys outside the `raw/YYYY/MM/DD/HH/` layout. */
export const LEDGER_OTHER_PARTITION = 'other';

const RAW_HOUR = /^raw\/(\d{4}\/\d{2}\/\d{2}\/\d{2})\//;

export function leaseKey(name: string): Item {
  return { pk: { S: `lease#${name}` }, sk: { S: LEASE_SK } };
}

export function checkpointKey(name: string): Item {
  return { pk: { S: `checkpoint#${name}` }, sk: { S: CHECKPOINT_SK } };
}

/** Ledger entries of one arrival hour share a partition, so a planner's look-back reads few partitions. */
export function ledgerKey(rawKey: string): Item {
  const hour = RAW_HOUR.exec(rawKey)?.[1] ?? LEDGER_OTHER_PARTITION;
  return { pk: { S: `processed#${hour}` }, sk: { S: rawKey } };
}

export function ledgerItem(rawKey: string, checkpointName: string): Item {
  return { ...ledgerKey(rawKey), checkpoint: { S: checkpointName } };
}

/**
 * "Partition key value: The minimum length of a partition key value is 1 byte. The maximum length is
 * 2048 bytes." (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-partition-sort-keys)
 * An entity key embeds event data (a subscription's language), so it may be longer: it is then stored
 * under `~sha256:<hex of the key>` (72 bytes; `~` is in no entity key the pipeline builds). Keys up to
 * 1 KB stay readable as they are.
 */
export const MAX_READABLE_KEY_BYTES = 1024;

export function stateItemKey(entity: EntityKey): string {
  if (Buffer.byteLength(entity, 'utf8') <= MAX_READABLE_KEY_BYTES) return entity;
  return `~sha256:${createHash('sha256').update(entity, 'utf8').digest('hex')}`;
}

/** A whole user-state item: the entity's versions at revision `rev`. */
export function stateItem(entity: EntityKey, versions: readonly StateVersion[], rev: number): Item {
  const map: Item = {};
  for (const version of versions) map[version.eventUuid] = versionValue(version);
  return { entity: { S: stateItemKey(entity) }, versions: { M: map }, rev: { N: String(rev) } };
}

/** The item's revision; 0 for an item written before revisions existed, undefined for no item. */
export function revisionOf(item: Item | undefined): number | undefined {
  if (item === undefined) return undefined;
  return item.rev?.N === undefined ? 0 : Number(item.rev.N);
}

export function versionValue(version: StateVersion): AttributeValue {
  const fields: Item = {};
  for (const [name, value] of Object.entries(version.fields)) fields[name] = { S: value };
  const value: Item = { createdAt: { N: String(version.createdAt) }, fields: { M: fields } };
  if (version.foldedSince !== undefined) value.foldedSince = { N: String(version.foldedSince) };
  return { M: value };
}

/** The versions map of a user-state item, as the port's values. */
export function versionsOf(item: Item | undefined): StateVersion[] {
  const map = item?.versions?.M ?? {};
  return Object.entries(map).map(([eventUuid, value]) => {
    const entry = value.M ?? {};
    const fields: Record<string, string> = {};
    for (const [name, field] of Object.entries(entry.fields?.M ?? {})) fields[name] = field.S ?? '';
    const version = { eventUuid, createdAt: Number(entry.createdAt?.N), fields };
    return entry.foldedSince?.N === undefined
      ? version
      : { ...version, foldedSince: Number(entry.foldedSince.N) };
  });
}

export function checkpointItem(write: CheckpointWrite, version: number): Item {
  const item: Item = { ...checkpointKey(write.name), version: { N: String(version) } };
  if (write.pending !== undefined) {
    item.pendingBatchId = { S: write.pending.batchId };
    item.pendingManifestKey = { S: write.pending.manifestKey };
  }
  if (write.lastBatchId !== undefined) item.lastBatchId = { S: write.lastBatchId };
  if (write.committedAt !== undefined) item.committedAt = { S: write.committedAt };
  return item;
}

export function checkpointOf(item: Item | undefined): Checkpoint {
  if (item === undefined) return { version: 0 };
  const checkpoint: { -readonly [K in keyof Checkpoint]: Checkpoint[K] } = {
    version: Number(item.version?.N ?? 0),
  };
  const batchId = item.pendingBatchId?.S;
  const manifestKey = item.pendingManifestKey?.S;
  if (batchId !== undefined && manifestKey !== undefined) checkpoint.pending = { batchId, manifestKey };
  if (item.lastBatchId?.S !== undefined) checkpoint.lastBatchId = item.lastBatchId.S;
  if (item.committedAt?.S !== undefined) checkpoint.committedAt = item.committedAt.S;
  return checkpoint;
}
