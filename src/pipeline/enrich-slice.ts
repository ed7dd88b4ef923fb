import type { EntityKey } from '../ports/state-store';
import { Layout } from '../ports/layout';
import type { PipelineDeps } from './deps';
import { accountKey, subscriptionKey } from './entity-key';
import { readStagedHeads, withEnrichment, type Enrichment, type StagedHead } from './staged-row';
import { TimelineCache } from './timeline-cache';
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
    // ~150 MiB of garbage per worker between full collections (docs/performance.md). The local worker's
    // cache keeps what it reads in typed arrays (timeline-cache.ts), a stretch at a time (`reserve`).
    for (let start = 0; start < heads.length; start += LOOKUP_LESSONS) {
      const chunk = heads.slice(start, start + LOOKUP_LESSONS);
      enrichments.push(...(await enrichmentsOf(deps, chunk, deps.timelines?.forBatch(ref.batch_id))));
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
 * Each lesson's enrichment, from the timelines of its user's account and of its subscription in `cache`, the
 * ones not held read from the state store in one call (without a cache: a cache of this call alone).
 */
async function enrichmentsOf(
  deps: PipelineDeps,
  heads: readonly StagedHead[],
  cache: TimelineCache = new TimelineCache(),
): Promise<Enrichment[]> {
  cache.reserve(heads.length);
  /** Per lesson: its account's and its subscription's entity slots in `cache` (NO_ENTITY: none to look up). */
  const slots = new Int32Array(heads.length * 2).fill(NO_ENTITY);
  /** Entities to read: slot -> key. */
  const missing = new Map<number, EntityKey>();
  for (const [i, head] of heads.entries()) {
    const uuid = head.user_uuid;
    if (uuid === null) continue;
    const user = cache.user(uuid);
    const account = cache.account(user);
    slots[2 * i] = account;
    if (!cache.isRead(account) && !missing.has(account)) missing.set(account, accountKey(uuid));
    const language = head.language;
    if (language === null) continue;
    const subscription = cache.subscription(user, language);
    slots[2 * i + 1] = subscription;
    if (!cache.isRead(subscription) && !missing.has(subscription)) missing.set(subscription, subscriptionKey(uuid, language));
  }
  if (missing.size > 0) {
    const read = await deps.state.getVersions([...missing.values()]);
    for (const [slot, key] of missing) cache.fill(slot, read.get(key));
  }
  return heads.map((head, i) => {
    const accountSlot = slots[2 * i] as number;
    const subscriptionSlot = slots[2 * i + 1] as number;
    const account = accountSlot === NO_ENTITY ? undefined : cache.asOf(accountSlot, head.created_at);
    const subscription = subscriptionSlot === NO_ENTITY ? undefined : cache.asOf(subscriptionSlot, head.created_at);
    return {
      country: account?.country ?? null,
      subscription_type: subscription?.subscription_type ?? null,
      subscription_status: subscription?.subscription_status ?? null,
      enrichment_status: account === undefined ? 'no_account' : subscription === undefined ? 'no_subscription' : 'enriched',
    };
  });
}

const NO_ENTITY = -1;
