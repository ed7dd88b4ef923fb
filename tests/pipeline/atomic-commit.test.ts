import { queryLake } from '../../src/cli/commands/query';
import { EventLakeError } from '../../src/errors';
import { Layout } from '../../src/ports/layout';
import { lessonEvent, makeTestLake, otherEvent, putRaw, rawKey, T0, type TestLake } from '../helpers/lake';
import { runOk, runScheduled } from '../helpers/run';

const count = async (lake: TestLake, view: string) => Number((await queryLake(lake, `SELECT count(*) AS n FROM ${view}`))[0]?.n);

describe('a commit is atomic to readers (issue 7)', () => {
  let lake: TestLake;
  beforeEach(async () => {
    lake = await makeTestLake();
    // Several partitions, so the commit publishes several files one by one.
    const lines = [];
    for (let i = 0; i < 40; i++) lines.push(otherEvent(T0 - i * 86_400, i % 2 ? 'app:opened' : 'page:viewed'), lessonEvent('u1', 'es', T0 - i * 86_400 + 1));
    await putRaw(lake, rawKey(9, 'a'), [...lines, '{"broken":']);
  });
  afterEach(() => lake.cleanup());

  it('shows a batch wholly or not at all at every moment of its commit', async () => {
    const seen: number[] = [];
    const move = lake.objects.move.bind(lake.objects);
    lake.objects.move = async (from, to) => {
      await move(from, to);
      seen.push(await count(lake, 'events'));
    };

    const summary = await runOk(lake);

    expect(seen.length).toBeGreaterThan(5);
    expect(new Set(seen)).toEqual(new Set([0]));
    expect(await count(lake, 'events')).toBe(summary.inserted);
  });

  it("keeps an uncommitted batch's quarantine and rows out of the views, even after its files were published", async () => {
    const publishThenDie = async (event: unknown) => {
      const batchId = (event as { batch: { batch_id: string } }).batch.batch_id;
      const pending = Layout.curatedPending(batchId);
      for await (const o of lake.objects.list(pending)) await lake.objects.move(o.key, Layout.curatedEvents + o.key.slice(pending.length));
      throw new EventLakeError('Test.Killed', 'killed after publishing, before the marker and the checkpoint');
    };

    const failed = await runScheduled(lake, { handlerOverrides: { CommitBatch: publishThenDie } });

    expect(failed.status).toBe('FAILED');
    const published = await queryLake(lake, `SELECT count(*) AS n FROM read_parquet('${lake.root}/curated/events/*/*/*.parquet')`);
    expect(Number(published[0]?.n)).toBeGreaterThan(0);
    expect(await count(lake, 'quarantine')).toBe(0);
    expect(await count(lake, 'events')).toBe(0);
    const summary = await runOk(lake);
    expect(await count(lake, 'quarantine')).toBe(summary.quarantined);
    expect(await count(lake, 'events')).toBe(summary.inserted);
  });
});
