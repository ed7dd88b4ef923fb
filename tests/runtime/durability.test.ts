import { isDurableKey } from '../../src/runtime/durability';

describe('isDurableKey (which local writes are fsynced)', () => {
  it.each([
    'staging/batches/abc/manifest.json',
    'quarantine/batch_id=abc/slice-00000.ndjson',
    'curated/events/event_type=lesson/event_date=2024-04-07/part-abc-g0-0.parquet',
    'runs/abc.json',
    'raw/2024/04/07/10/x.gz',
  ])('fsyncs %s: it must survive once the checkpoint moved', (key) => {
    expect(isDurableKey(key)).toBe(true);
  });

  it.each(['staging/staged/batch_id=abc/final-00000.ndjson', 'staging/batches/abc/lessons/slice-00000.ndjson'])(
    'skips %s: a resumed run rewrites it',
    (key) => {
      expect(isDurableKey(key)).toBe(false);
    },
  );
});
