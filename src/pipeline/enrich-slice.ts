import type { EntityKey } from '../ports/state-store';
import { Layout } from './config';
import type { PipelineDeps } from './deps';
import { accountKey, subscriptionKey } from './entity-key';
import { joinStagedLine, splitStagedLine, stagedLines, type Enrichment, type StagedHead } from './staged-row';
import { EntityTimeline } from './user-state';
import { LineBuffer } from './line-buffer';
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
  const lessons = stagedLines((await deps.objects.get(Layout.stagedLessons(ref.batch_id, ref.slice))).toString('utf8')).map(
    splitStagedLine,
  );

  const keys = new Set<EntityKey>();
  for (const { head } of lessons) {
    if (head.user_uuid === null) continue;
    keys.add(accountKey(head.user_uuid));
    if (head.language !== null) keys.add(subscriptionKey(head.user_uuid, head.language));
  }
  const versions = await deps.state.getVersions([...keys]);
  const timelines = new Map<EntityKey, EntityTimeline>();
  for (const [key, list] of versions) timelines.set(key, new EntityTimeline(list));

  const counts = { enriched: 0, no_account: 0, no_subscription: 0 };
  const out = new LineBuffer();
  for (const { head, prefix, suffix } of lessons) {
    const enrichment = enrichmentOf(head, timelines);
    if (enrichment.enrichment_status !== 'not_applicable') counts[enrichment.enrichment_status]++;
    out.push(joinStagedLine(prefix, enrichment, suffix));
  }
  await deps.objects.put(Layout.stagedEnriched(ref.batch_id, ref.slice), out.toBuffer());
  deps.progress(`slice ${ref.slice}: ${lessons.length} lessons enriched as of their own time (${counts.enriched} fully)`);
  return { slice: ref.slice, lessons: lessons.length, ...counts };
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
