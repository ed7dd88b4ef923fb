import { ObjectNotFoundError } from '../errors';
import { Layout } from '../ports/layout';
import type { ObjectStore } from '../ports/object-store';
import type { EntityKey, StateStore, VersionWrite } from '../ports/state-store';
import { sqlPathLiteral } from '../sql/render';
import { erasedHashes, userHash } from './erasure-log';

/**
 * The forgotten users as later runs see them: a test on a user id (salted hash in the lake's erasure log),
 * without any id stored. Undefined when nobody was forgotten (then nothing is checked at all).
 */
export async function erasedUsers(objects: ObjectStore): Promise<((userUuid: string) => boolean) | undefined> {
  const hashes = await erasedHashes(objects);
  if (hashes.size === 0) return undefined;
  const salt = await storedSalt(objects);
  if (salt === undefined) return undefined;
  return (userUuid) => hashes.has(userHash(salt, userUuid));
}

/** The lake's salt when one exists (never created here: only `forget` creates it). */
async function storedSalt(objects: ObjectStore): Promise<string | undefined> {
  try {
    const { salt } = JSON.parse((await objects.get(Layout.erasureSalt)).toString('utf8')) as { salt?: unknown };
    return typeof salt === 'string' ? salt : undefined;
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return undefined;
    throw error;
  }
}

/** The user id of an entity key (`account#<user>`, `subscription#<user>#<language>`). */
function userOf(entity: EntityKey): string | undefined {
  return /^(?:account|subscription)#([^#]+)/.exec(entity)?.[1];
}

/**
 * A state store that drops the versions of forgotten users (the local runtime wraps its store with it), so a
 * later run or backfill never rebuilds their enrichment state from raw data; everything else is delegated.
 * Validation stays unaware of erasures: the erasure log is read on each write, which is cheap locally.
 */
export class ErasedUsersStateStore implements StateStore {
  constructor(
    private readonly inner: StateStore,
    private readonly objects: ObjectStore,
  ) {}

  async putVersions(writes: readonly VersionWrite[]): Promise<void> {
    const erased = writes.length === 0 ? undefined : await erasedUsers(this.objects);
    const kept = erased === undefined ? writes : writes.filter((w) => {
      const user = userOf(w.entity);
      return user === undefined || !erased(user);
    });
    return this.inner.putVersions(kept);
  }

  getVersions: StateStore['getVersions'] = (entities) => this.inner.getVersions(entities);
  deleteUser: StateStore['deleteUser'] = (userUuid) => this.inner.deleteUser(userUuid);
  acquireLease: StateStore['acquireLease'] = (request) => this.inner.acquireLease(request);
  releaseLease: StateStore['releaseLease'] = (name, owner) => this.inner.releaseLease(name, owner);
  describeLease: StateStore['describeLease'] = (name) => this.inner.describeLease(name);
  getCheckpoint: StateStore['getCheckpoint'] = (name) => this.inner.getCheckpoint(name);
  putCheckpoint: StateStore['putCheckpoint'] = (write) => this.inner.putCheckpoint(write);
  filterProcessed: StateStore['filterProcessed'] = (keys) => this.inner.filterProcessed(keys);
}

/**
 * The quarantine view's condition hiding forgotten users' records that later runs quarantined (validation
 * stays unaware of erasures): a record whose raw line parses as JSON with a `user_uuid` that hashes, with the
 * lake's salt (read from its file by the query, never spliced in), to an erasure record. Lines nobody can
 * parse cannot be matched by hash: they stay until `eventlake forget` runs again for that user (its substring
 * match removes them). Always true when nobody was forgotten.
 */
export async function notErasedQuarantineLine(objects: ObjectStore): Promise<string> {
  if ((await erasedHashes(objects)).size === 0 || (await storedSalt(objects)) === undefined) return 'true';
  const root = objects.uri('').replace(/\/$/, '');
  const salt = `(SELECT salt FROM read_json(${sqlPathLiteral(`${root}/${Layout.erasureSalt}`)}, columns = {salt: 'VARCHAR'}))`;
  const hashes = `(SELECT user_hash FROM read_json(${sqlPathLiteral(`${root}/${Layout.erasureRecords}*.json`)}, columns = {user_hash: 'VARCHAR'}))`;
  const user = `CASE WHEN json_valid(raw_line) THEN lower(json_extract_string(raw_line, '$.user_uuid')) END`;
  return `NOT coalesce(sha256(${salt} || ${user}) IN ${hashes}, false)`;
}
