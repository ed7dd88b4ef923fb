import { validateLine } from '../../../src/contract/validate-line';
import type { ValidEvent } from '../../../src/contract/types';
import { FOLDED_BASE_UUID, type StateVersion } from '../../../src/ports/state-store';
import { EntityTimeline, versionWriteFor } from '../../../src/pipeline/user-state';
import { accountEvent, lessonEvent, otherEvent, subscriptionEvent, T0, userUuid } from '../../helpers/lake';

const ARRIVAL = Date.UTC(2024, 3, 8);

function valid(event: object): ValidEvent {
  const result = validateLine(Buffer.from(JSON.stringify(event), 'utf8'), { arrivalMs: ARRIVAL });
  if (result.kind !== 'valid') throw new Error(`fixture event is not valid: ${JSON.stringify(result)}`);
  return result.event;
}

const v = (eventUuid: string, createdAt: number, fields: Record<string, string>, foldedSince?: number): StateVersion => ({
  eventUuid, createdAt, fields, ...(foldedSince !== undefined ? { foldedSince } : {}),
});

describe('versionWriteFor', () => {
  it('makes an account event a version of the account with only the fields it sets', () => {
    // Prepare
    const event = accountEvent('u1', T0, { country: 'DE', plan: 'ignored' }, 'account:updated');

    // Act
    const write = versionWriteFor(valid(event));

    // Assess
    expect(write).toEqual({ entity: `account#${userUuid('u1')}`, version: { eventUuid: event.event_uuid, createdAt: T0, fields: { country: 'DE' } } });
  });

  it('makes a subscription event a version of the (user, language) subscription', () => {
    // Prepare
    const event = subscriptionEvent('u1', 'de', T0, { subscription_type: 'yearly' });

    // Act
    const write = versionWriteFor(valid(event));

    // Assess
    expect(write).toEqual({ entity: `subscription#${userUuid('u1')}#de`, version: { eventUuid: event.event_uuid, createdAt: T0, fields: { subscription_type: 'yearly' } } });
  });

  it('gives nothing for lessons, other events and a subscription without a language', () => {
    // Prepare
    // (validation refuses a subscription event without a language: the core still guards against one)
    const noLanguage: ValidEvent = { ...valid(subscriptionEvent('u1', 'de', T0, { subscription_type: 'yearly' })), language: null };
    const events = [valid(lessonEvent('u1', 'de', T0)), valid(otherEvent(T0)), noLanguage];

    // Act
    const writes = events.map((e) => versionWriteFor(e));

    // Assess
    expect(writes).toEqual([undefined, undefined, undefined]);
  });

  it('keeps only string field values', () => {
    // Act
    const write = versionWriteFor(valid(accountEvent('u1', T0, { country: 49 })));

    // Assess
    expect(write?.version.fields).toEqual({});
  });
});

describe('EntityTimeline.asOf', () => {
  it('folds versions in event-time order, whatever their order given, later fields over earlier', () => {
    // Prepare
    const timeline = new EntityTimeline([v('c', 300, { type: 'monthly' }), v('a', 100, { type: 'yearly', status: 'active' }), v('b', 200, { status: 'paused' })]);

    // Act / Assess
    expect(timeline.asOf(150)).toEqual({ type: 'yearly', status: 'active' });
    expect(timeline.asOf(250)).toEqual({ type: 'yearly', status: 'paused' });
    expect(timeline.asOf(1e12)).toEqual({ type: 'monthly', status: 'paused' });
  });

  it('is inclusive at a version time and undefined before the first one', () => {
    // Prepare
    const timeline = new EntityTimeline([v('a', 100, { country: 'DE' })]);

    // Act / Assess
    expect(timeline.asOf(99.999)).toBeUndefined();
    expect(timeline.asOf(100)).toEqual({ country: 'DE' });
  });

  it('breaks a tie of createdAt by event uuid, never by arrival order', () => {
    // Prepare
    const forward = new EntityTimeline([v('a', 100, { country: 'DE' }), v('b', 100, { country: 'FR' })]);
    const backward = new EntityTimeline([v('b', 100, { country: 'FR' }), v('a', 100, { country: 'DE' })]);

    // Act / Assess
    expect(forward.asOf(100)).toEqual({ country: 'FR' });
    expect(backward.asOf(100)).toEqual({ country: 'FR' });
  });

  it('applies a folded base from its foldedSince on, and nothing before it', () => {
    // Prepare
    const timeline = new EntityTimeline([v(FOLDED_BASE_UUID, 500, { country: 'DE' }, 100), v('x', 900, { country: 'FR' })]);

    // Act / Assess
    expect(timeline.asOf(99)).toBeUndefined();
    expect(timeline.asOf(100)).toEqual({ country: 'DE' });
    expect(timeline.asOf(700)).toEqual({ country: 'DE' });
    expect(timeline.asOf(900)).toEqual({ country: 'FR' });
  });

  it('has no state for no versions', () => {
    // Act / Assess
    expect(new EntityTimeline([]).asOf(1e12)).toBeUndefined();
  });
});
