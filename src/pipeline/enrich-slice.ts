import type { EntityKey } from '../ports/state-store';
import { Layout } from '../ports/layout';
import type { PipelineDeps } from './deps';
import { accountKey, subscriptionKey } from './entity-key';
import { readStagedHeads, withEnrichment, type Enrichment, type StagedHead } from './staged-row';
import { EntityTimeline } from './user-state';
import { TimelineCache, type CachedTimeline, type UserTimelines } from './timeline-cache';
import { partsOf, removeStaleParts } from './part-writer';
import type { SliceRef } from './validate-slice';

export interface SliceEnrichment {
  readonly slice: number;
  readonly lessons: number;
  readonly enriched: number;
  readonly no_account: number;
  readonly no_subscription: number;
}

/**
 * Pass 2: each staged lesson gets `country` from its user's account as of the lesson's created_at and
 * `subscription_type`/`subscription_status` from the (user, language) subscription as of then. Runs after
 * every slice applied its state, so events of the same batch count, whatever their arrival order.
 */
export async function enrichSlice(deps: PipelineDeps, ref: SliceRef): Promise<SliceEnrichment> {
  const counts = { lessons: 0, enriched: 0, no_account: 0, no_subscription: 0 };
  const out = Layout.stagedEnriched(ref.batch_id, ref.slice);
  // One lessons part at a time (ValidateSlice wrote them, at most partMaxBytes each): memory stays flat.
  // Each lessons part becomes the enriched part of the same number.
  const parts = await partsOf(deps.objects, Layout.stagedLessons(ref.batch_id, ref.slice));
  for (const [part, key] of parts.entries()) {
    const body = await deps.objects.get(key);
    const heads = readStagedHeads(body, key);
    const enrichments: Enrichment[] = [];
    // 8,192 lessons' timelines at a time: without a cache (Lambda) they die young. A whole part's (~25k
    // entities, ~90k versions at 10M events) outlived the young generation and piled up in the old one,
    // ~150 MiB of garbage per worker between full collections; much fewer lessons per call, and each call's
    // reads of the state cost more than its lookups (docs/performance.md). The local worker's cache keeps
    // what it reads (timeline-cache.ts).
    for (let start = 0; start < heads.length; start += LOOKUP_LESSONS) {
      const chunk = heads.slice(start, start + LOOKUP_LESSONS);
      const users = await timelinesFor(deps, chunk, deps.timelines?.forBatch(ref.batch_id));
      chunk.forEach((head, i) => enrichments.push(enrichmentOf(head, users[i])));
    }
    for (const { enrichment_status: status } of enrichments) if (status !== 'not_applicable') counts[status]++;
    counts.lessons += heads.length;
    await deps.objects.put(out.key(part), withEnrichment(body, key, enrichments));
  }
  await removeStaleParts(deps.objects, out, parts.length);
  deps.progress(`slice ${ref.slice}: ${counts.lessons} lessons enriched as of their own time (${counts.enriched} fully)`);
  return { slice: ref.slice, ...counts };
}

/** Lessons whose timelines are read in one call. */
const LOOKUP_LESSONS = 8192;

/**
 * Each lesson's user's timelines, with the account and the lesson's subscription read (null: the entity has
 * none): those not in `cache` (without one, not met earlier in `heads`: a cache of this call alone, which
 * never drops a user) are read from the state store in one call. The answer holds the users themselves, so
 * the cache may drop them meanwhile.
 */
async function timelinesFor(
  deps: PipelineDeps,
  heads: readonly StagedHead[],
  cache: TimelineCache = new TimelineCache(Math.max(1, heads.length)),
): Promise<(UserTimelines | undefined)[]> {
  const users: (UserTimelines | undefined)[] = [];
  /** Entities to read, each with where its timeline goes. */
  const missing = new Map<EntityKey, (timeline: CachedTimeline) => void>();
  for (const head of heads) {
    const uuid = head.user_uuid;
    if (uuid === null) {
      users.push(undefined);
      continue;
    }
    const user = cache.user(uuid);
    users.push(user);
    if (user.account === undefined) missing.set(accountKey(uuid), (timeline) => (user.account = timeline));
    const language = head.language;
    if (language !== null && !user.subscriptions.has(language)) {
      missing.set(subscriptionKey(uuid, language), (timeline) => user.subscriptions.set(language, timeline));
    }
  }
  if (missing.size === 0) return users;
  const read = await deps.state.getVersions([...missing.keys()]);
  for (const [key, place] of missing) {
    const list = read.get(key);
    place(list === undefined ? null : new EntityTimeline(list));
  }
  return users;
}

function enrichmentOf(head: StagedHead, user: UserTimelines | undefined): Enrichment {
  const account = user?.account?.asOf(head.created_at);
  const subscription = head.language === null ? undefined : user?.subscriptions.get(head.language)?.asOf(head.created_at);
  return {
    country: account?.country ?? null,
    subscription_type: subscription?.subscription_type ?? null,
    subscription_status: subscription?.subscription_status ?? null,
    enrichment_status: account === undefined ? 'no_account' : subscription === undefined ? 'no_subscription' : 'enriched',
  };
}
