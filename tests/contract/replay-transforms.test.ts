import { REPLAY_TRANSFORMS, renameTopLevelKey, replayTransform } from '../../src/contract/replay-transforms';

const rename = (line: string) => renameTopLevelKey(Buffer.from(line, 'utf8'), 'event_uid', 'event_uuid').toString('utf8');

describe('replay transforms (src/contract/replay-transforms.ts)', () => {
  it('renames the top-level key and leaves every other byte as written', () => {
    const line = '{"event_uid" : "0b9c5a9e-5d7e-4b7e-9d3c-2a1f6e4b8c7d", "created_at": 1712511721.0220750, "big": 12345678901234567890, "event_name":"app:opened"}';

    expect(rename(line)).toBe(line.replace('"event_uid"', '"event_uuid"'));
  });

  it('renames only at the top level, never a nested key nor a value', () => {
    const line = '{"meta":{"event_uid":"x"},"note":"event_uid","event_uid":"y"}';

    expect(rename(line)).toBe('{"meta":{"event_uid":"x"},"note":"event_uid","event_uuid":"y"}');
  });

  it.each([
    ['the line already has the right key', '{"event_uid":"a","event_uuid":"b"}'],
    ['the key is written with an escape', '{"event\\u005fuid":"a"}'],
    ['the line is not JSON', '{"event_uid":'],
    ['the line is not an object', '["event_uid"]'],
    ['the key is absent', '{"event_name":"app:opened"}'],
    ['the key is written twice (a duplicate_key defect stays one)', '{"event_uid":"a","event_uid":"b"}'],
  ])('leaves the line alone when %s', (_why, line) => {
    expect(rename(line)).toBe(line);
  });

  it('names every transform, and refuses a name that is not in the registry', () => {
    expect(REPLAY_TRANSFORMS.map((t) => t.name)).toEqual(['rename-event-uid', 'rename-created-at-camel']);
    expect(replayTransform(undefined)).toBeUndefined();
    expect(replayTransform('rename-created-at-camel')?.apply(Buffer.from('{"createdAt":1}')).toString()).toBe('{"created_at":1}');
    expect(() => replayTransform('nope')).toThrow('unknown replay transform "nope": one of rename-event-uid, rename-created-at-camel');
  });
});
