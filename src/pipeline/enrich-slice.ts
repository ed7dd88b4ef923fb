import type { EntityKey } from '../ports/state-store';
import { Layout } from './config';
import type { PipelineDeps } from './deps';
import { accountKey, subscriptionKey } from './entity-key';
import { parseStagedLines, serializeStagedRow, type StagedRow } from './staged-row';
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
  const lessons = parseStagedLines((await deps.objects.get(Layout.stagedLessons(ref.batch_id, ref.slice))).toString('utf8'));

  const keys = new Set<EntityKey>();
  for (const row of lessons) {
    if (row.user_uuid === null) continue;
    keys.add(accountKey(row.user_uuid));
    if (row.language !== null) keys.add(subscriptionKey(row.user_uuid, row.language));
  }
  const versions = await deps.state.getVersions([...keys]);
  const timelines = new Map<EntityKey, EntityTimeline>();
  for (const [key, list] of versions) timelines.set(key, new EntityTimeline(list));

  const counts = { enriched: 0, no_account: 0, no_subscription: 0 };
  const out = new LineBuffer();
  for (const row of lessons) {
    enrichRow(row, timelines);
    if (row.enrichment_status !== 'not_applicable') counts[row.enrichment_status]++;
    out.push(serializeStagedRow(row));
  }
  await deps.objects.put(Layout.stagedEnriched(ref.batch_id, ref.slice), out.toBuffer());
  deps.progress(`slice ${ref.slice}: ${lessons.length} lessons enriched as of their own time (${counts.enriched} fully)`);
  return { slice: ref.slice, lessons: lessons.length, ...counts };
}

function enrichRow(row: StagedRow, timelines: ReadonlyMap<EntityKey, EntityTimeline>): void {
  const user = row.user_uuid;
  const account = user === null ? undefined : timelines.get(accountKey(user))?.asOf(row.created_at);
  const subscription =
    user === null || row.language === null
      ? undefined
      : timelines.get(subscriptionKey(user, row.language))?.asOf(row.created_at);
  row.country = account?.country ?? null;
  row.subscription_type = subscription?.subscription_type ?? null;
  row.subscription_status = subscription?.subscription_status ?? null;
  row.enrichment_status = account === undefined ? 'no_account' : subscription === undefined ? 'no_subscription' : 'enriched';
}
