import { InvalidInputError } from '../../../src/errors';
import { parseRunInput } from '../../../src/pipeline/run-input';

describe('parseRunInput', () => {
  it('accepts a scheduled run, keeping the other keys of the state', () => {
    // Prepare
    const state = { mode: 'scheduled', lease: { acquired: true, owner: 'run-1' } };

    // Act
    const input = parseRunInput(state);

    // Assess
    expect(input).toEqual(state);
  });

  it('accepts a backfill with its range and an after cursor', () => {
    // Act
    const input = parseRunInput({ mode: 'backfill', from: '2024-04-01', to: '2024-04-07', after: 'raw/2024/04/03/10/x.gz' });

    // Assess
    expect(input).toEqual({ mode: 'backfill', from: '2024-04-01', to: '2024-04-07', after: 'raw/2024/04/03/10/x.gz' });
  });

  it('accepts a one-day backfill (from = to)', () => {
    // Act / Assess
    expect(parseRunInput({ mode: 'backfill', from: '2024-04-07', to: '2024-04-07' }).from).toBe('2024-04-07');
  });

  it('accepts a replay with no option, or with a reason, days and a transform', () => {
    expect(parseRunInput({ mode: 'replay' })).toEqual({ mode: 'replay' });
    const full = { mode: 'replay', reason: 'missing_field', from: '2024-04-01', transform: 'rename-event-uid' };
    expect(parseRunInput(full)).toEqual(full);
  });

  it.each([
    [{ mode: 'replay', reason: 'no_such_reason' }, 'reason must be one of the following values'],
    [{ mode: 'replay', transform: 'rename-everything' }, 'transform must be one of the following values: rename-event-uid, rename-created-at-camel'],
    [{ mode: 'scheduled', transform: 'rename-event-uid' }, 'reason and transform are replay options, not scheduled ones'],
    [{ mode: 'replay', from: '2024-04-08', to: '2024-04-07' }, 'replay range is empty: from 2024-04-08 is after to 2024-04-07'],
  ])('refuses the replay input %j', (value, message) => {
    expect(() => parseRunInput(value)).toThrow(message);
  });

  it('refuses a reversed range, naming both dates', () => {
    // Act
    const parse = () => parseRunInput({ mode: 'backfill', from: '2024-04-08', to: '2024-04-07' });

    // Assess
    expect(parse).toThrow(InvalidInputError);
    expect(parse).toThrow('backfill range is empty: from 2024-04-08 is after to 2024-04-07');
  });

  it.each([
    ['an unknown mode', { mode: 'hourly' }, 'mode must be one of the following values: scheduled, backfill, replay'],
    ['no mode', {}, 'mode is a required field'],
    ['a backfill without from', { mode: 'backfill', to: '2024-04-07' }, 'backfill needs from (YYYY-MM-DD)'],
    ['a backfill without to', { mode: 'backfill', from: '2024-04-07' }, 'backfill needs to (YYYY-MM-DD)'],
    ['a date that is not YYYY-MM-DD', { mode: 'backfill', from: '2024-4-7', to: '2024-04-07' }, 'from must be YYYY-MM-DD'],
    ['an empty after cursor', { mode: 'backfill', from: '2024-04-07', to: '2024-04-07', after: '' }, 'after must be at least 1 characters'],
  ])('refuses %s, naming the field', (_what, value, message) => {
    // Act
    const parse = () => parseRunInput(value);

    // Assess
    expect(parse).toThrow(InvalidInputError);
    expect(parse).toThrow(`invalid run input: ${message}`);
  });

  it('refuses a value that is not an object', () => {
    // Act / Assess
    expect(() => parseRunInput('scheduled')).toThrow(/^invalid run input: /);
  });
});
