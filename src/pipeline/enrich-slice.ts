import type { EntityKey } from '../ports/state-store';
import { Layout } from '../ports/layout';
import type { PipelineDeps } from './deps';
import { accountKey, subscriptionKey } from './entity-key';
import { readStagedRows, STAGED_INDEX, STAGED_PARTS, type Enrichment, type StagedValues } from './staged-row';
import { EntityTimeline } from './user-state';
import { PartWriter, partsOf } from './part-writer';
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
  const out = new PartWriter(deps.objects, Layout.stagedEnriched(ref.batch_id, ref.slice), deps.config.partMaxBytes, STAGED_PARTS);
  // One lessons part at a time (ValidateSlice wrote them, at most partMaxBytes each): memory stays flat.
  for (const key of await partsOf(deps.objects, Layout.stagedLessons(ref.batch_id, ref.slice))) {
    const lessons = readStagedRows(await deps.objects.get(key), key).map((row) => ({ row, head: headOf(row) }));
    const timelines = await timelinesFor(deps, lessons);
    for (const { row, head } of lessons) {
      const enrichment = enrichmentOf(head, timelines);
      if (enrichment.enrichment_status !== 'not_applicable') counts[enrichment.enrichment_status]++;
      // The other columns go back as they were read (text as bytes: the payload is copied, never decoded).
      row[STAGED_INDEX.country] = enrichment.country;
      row[STAGED_INDEX.subscription_type] = enrichment.subscription_type;
      row[STAGED_INDEX.subscription_status] = enrichment.subscription_status;
      row[STAGED_INDEX.enrichment_status] = enrichment.enrichment_status;
      out.push(row);
    }
    counts.lessons += lessons.length;
    await out.flushIfFull();
  }
  await out.close();
  deps.progress(`slice ${ref.slice}: ${counts.lessons} lessons enriched as of their own time (${counts.enriched} fully)`);
  return { slice: ref.slice, ...counts };
}

/** What enrichment reads of a staged lesson. */
interface StagedHead {
  readonly created_at: number;
  readonly user_uuid: string | null;
  readonly language: string | null;
}

function headOf(row: StagedValues): StagedHead {
  const text = (value: StagedValues[number] | undefined) => (value === null || value === undefined ? null : value.toString());
  return { created_at: row[STAGED_INDEX.created_at] as number, user_uuid: text(row[STAGED_INDEX.user_uuid]), language: text(row[STAGED_INDEX.language]) };
}

/** The account and subscription timelines the lessons need, read in one call. */
async function timelinesFor(deps: PipelineDeps, lessons: readonly { readonly head: StagedHead }[]): Promise<Map<EntityKey, EntityTimeline>> {
  const keys = new Set<EntityKey>();
  for (const { head } of lessons) {
    if (head.user_uuid === null) continue;
    keys.add(accountKey(head.user_uuid));
    if (head.language !== null) keys.add(subscriptionKey(head.user_uuid, head.language));
  }
  const timelines = new Map<EntityKey, EntityTimeline>();
  if (keys.size === 0) return timelines;
  for (const [key, list] of await deps.state.getVersions([...keys])) timelines.set(key, new EntityTimeline(list));
  return timelines;
}

function enrichmentOf(head: StagedHead, timelines: ReadonlyMap<EntityKey, EntityTimeline>): Enrichment {
  const user = head.user_uuid;
  const account = user === null ? undefined : timelines.get(accountKey(user))?.asOf(head.created_at);
  const subscription =
    user === null || head.language === null
      ? undefined
      : timelines.get(subscriptionKey(user, head.language))?.asOf(head.created_at);
  return {
    country: account?.country ?? null,
    subscription_type: subscription?.subscription_type ?? null,
    subscription_status: subscription?.subscription_status ?? null,
    enrichment_status: account === undefined ? 'no_account' : subscription === undefined ? 'no_subscription' : 'enriched',
  };
}
