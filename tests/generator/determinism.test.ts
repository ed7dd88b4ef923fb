import { generate, type GenerateOptions } from '../../src/generator/generate';
import { MemoryObjectStore } from './memory-object-store';

const OPTIONS: GenerateOptions = {
  events: 20_000,
  start: new Date('2024-04-07T22:30:00Z'),
  hours: 1,
  seed: 1234,
  duplicateRate: 0.01,
  malformedRate: 0.01,
  objectMaxBytes: 256 * 1024,
};

async function run(options: GenerateOptions): Promise<MemoryObjectStore> {
  const store = new MemoryObjectStore();
  await generate(store, options);
  return store;
}

describe('generate: determinism', () => {
  it('writes byte-identical objects under identical keys for the same seed and options', async () => {
    // Prepare
    const first = await run(OPTIONS);

    // Act
    const second = await run(OPTIONS);

    // Assess
    expect(second.putOrder).toEqual(first.putOrder);
    for (const key of first.putOrder)
      expect(second.objects.get(key)!.equals(first.objects.get(key)!)).toBe(true);
  });

  it('writes different keys and bytes for a different seed', async () => {
    // Prepare
    const first = await run(OPTIONS);

    // Act
    const other = await run({ ...OPTIONS, seed: 1235 });

    // Assess
    expect(other.putOrder.filter((key) => first.objects.has(key))).toEqual([]);
    expect(other.objects.get(other.putOrder[0]!)!.equals(first.objects.get(first.putOrder[0]!)!)).toBe(false);
  });
});
