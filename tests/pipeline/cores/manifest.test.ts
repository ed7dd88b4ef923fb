import fc from 'fast-check';
import { ObjectNotFoundError } from '../../../src/errors';
import { arrivalHourMs, batchIdFor, readManifest, sliceObjects, type BatchManifest } from '../../../src/pipeline/manifest';
import { MemoryObjectStore } from '../../generator/memory-object-store';

describe('batchIdFor', () => {
  it('is a 32-hex digest of the mode and the keys, whatever their order', () => {
    // Act
    const id = batchIdFor('scheduled', ['raw/b', 'raw/a']);

    // Assess
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(batchIdFor('scheduled', ['raw/a', 'raw/b'])).toBe(id);
  });

  it('differs by mode and by key list', () => {
    // Act
    const ids = new Set([batchIdFor('scheduled', ['raw/a']), batchIdFor('backfill', ['raw/a']), batchIdFor('scheduled', ['raw/a', 'raw/b'])]);

    // Assess
    expect(ids.size).toBe(3);
  });
});

describe('sliceObjects', () => {
  const info = (sizeBytes: number, n: number) => ({ key: `raw/${n}`, sizeBytes });

  it('packs objects into slices of at most maxBytes', () => {
    // Act
    const slices = sliceObjects([info(40, 0), info(60, 1), info(1, 2), info(99, 3)], 100);

    // Assess
    expect(slices).toEqual([{ first: 0, end: 2 }, { first: 2, end: 4 }]);
  });

  it('gives an object larger than maxBytes a slice alone', () => {
    // Act
    const slices = sliceObjects([info(10, 0), info(500, 1), info(10, 2)], 100);

    // Assess
    expect(slices).toEqual([{ first: 0, end: 1 }, { first: 1, end: 2 }, { first: 2, end: 3 }]);
  });

  it('cuts as evenly as it can within as few slices as packing needs, so no worker is left a small last slice', () => {
    // Act: packing nine objects of 10 bytes into 40 would give 40, 40 and 10.
    const slices = sliceObjects(Array.from({ length: 9 }, (_, n) => info(10, n)), 40);

    // Assess
    expect(slices).toEqual([{ first: 0, end: 3 }, { first: 3, end: 6 }, { first: 6, end: 9 }]);
  });

  it('keeps every object once, in order, in no more slices than packing makes, none over maxBytes but a lone large object', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 150 }), { maxLength: 40 }), fc.integer({ min: 1, max: 120 }), (sizes, maxBytes) => {
        const objects = sizes.map((size, n) => info(size, n));
        const slices = sliceObjects(objects, maxBytes);
        // Greedy packing's count, as the planner had it before the even cut.
        let greedy = 0;
        let bytes = 0;
        sizes.forEach((size, n) => {
          if (n === 0 || bytes + size > maxBytes) {
            greedy++;
            bytes = 0;
          }
          bytes += size;
        });
        expect(slices.length).toBe(greedy);
        expect(slices.flatMap((s) => Array.from({ length: s.end - s.first }, (_, i) => s.first + i))).toEqual(sizes.map((_, n) => n));
        for (const s of slices) {
          const total = sizes.slice(s.first, s.end).reduce((a, b) => a + b, 0);
          if (s.end - s.first > 1) expect(total).toBeLessThanOrEqual(maxBytes);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('has no slices for no objects', () => {
    // Act / Assess
    expect(sliceObjects([], 100)).toEqual([]);
  });
});

describe('arrivalHourMs', () => {
  it('reads the arrival hour of a Firehose key', () => {
    // Act / Assess
    expect(arrivalHourMs('raw/2024/04/07/13/x.gz')).toBe(Date.UTC(2024, 3, 7, 13));
  });

  it('is undefined for another layout', () => {
    // Act / Assess
    expect(arrivalHourMs('raw/2024/04/07/x.gz')).toBeUndefined();
    expect(arrivalHourMs('uploads/2024/04/07/13/x.gz')).toBeUndefined();
  });
});

describe('readManifest', () => {
  it('reads back the manifest as written', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const manifest: BatchManifest = {
      batch_id: 'b1', mode: 'scheduled', planned_at: '2024-04-08T12:00:00.000Z', range: null,
      objects: [{ key: 'raw/a', sizeBytes: 3, reprocessed: true }], slices: [{ first: 0, end: 1 }],
    };
    await store.put('staging/batches/b1/manifest.json', JSON.stringify(manifest));

    // Act
    const read = await readManifest(store, 'staging/batches/b1/manifest.json');

    // Assess
    expect(read).toEqual(manifest);
  });

  it('throws ObjectNotFoundError for a missing manifest', async () => {
    // Act / Assess
    await expect(readManifest(new MemoryObjectStore(), 'staging/batches/none/manifest.json')).rejects.toThrow(ObjectNotFoundError);
  });
});
