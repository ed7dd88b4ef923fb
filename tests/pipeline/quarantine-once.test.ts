import { queryLake } from '../../src/cli/commands/query';
import { lessonEvent, makeTestLake, otherEvent, putRaw, rawKey, T0, type TestLake } from '../helpers/lake';
import { backfillOk, expectBalanced, runOk } from '../helpers/run';

const quarantineRows = async (lake: TestLake) => Number((await queryLake(lake, 'SELECT count(*) AS n FROM quarantine'))[0]?.n);

describe('a raw line is quarantined at most once (issue 7)', () => {
  let lake: TestLake;
  beforeEach(async () => {
    lake = await makeTestLake();
    const reused = otherEvent(T0 + 1, 'app:opened');
    const conflict = { ...reused, created_at: T0 + 2 };
    await putRaw(lake, rawKey(9, 'a'), [reused, '{"broken":', lessonEvent('u1', 'es', T0 + 3), 'not json', conflict]);
    await putRaw(lake, rawKey(10, 'b'), [otherEvent(T0 + 4), '[1, 2]']);
  });
  afterEach(() => lake.cleanup());

  it('records nothing again when backfills re-read committed objects, and says how many were already quarantined', async () => {
    const first = await runOk(lake);
    expect(first.quarantined).toBe(4);
    expect(await quarantineRows(lake)).toBe(4);

    const backfills = [await backfillOk(lake, '2024-04-07', '2024-04-07'), await backfillOk(lake, '2024-04-07', '2024-04-07')];

    for (const b of backfills) {
      expect(b).toMatchObject({ status: 'committed', inserted: 0, quarantined: 0, already_quarantined: 4 });
      expectBalanced(b);
    }
    expect(await quarantineRows(lake)).toBe(4);
  });

  it('quarantines the lines of an object no committed batch read yet, even in a backfill', async () => {
    await runOk(lake);
    await putRaw(lake, rawKey(11, 'late'), ['{"late": ']);

    const backfill = await backfillOk(lake, '2024-04-07', '2024-04-07');

    expect(backfill).toMatchObject({ quarantined: 1, already_quarantined: 4 });
    expect(await quarantineRows(lake)).toBe(5);
  });
});
