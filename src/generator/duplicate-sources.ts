import type { FirehoseWriter } from './firehose-writer';
import type { Prng } from './prng';

const RESERVOIR_SIZE = 512;
/** Lines of each closed object kept as candidates for retries into later objects. */
const SAMPLES_PER_OBJECT = 16;

/** An earlier valid line (a copy, no `\n`) and the index of the object it was written to. */
export interface EarlierLine {
  readonly line: Buffer;
  readonly objectIndex: number;
}

/**
 * Where exact duplicates and uuid conflicts take their originals from, in bounded memory: any valid line
 * of the open object (a retry landing in the same object), or a reservoir sampled from closed objects (a
 * producer or Firehose retry landing in a later object).
 */
export class DuplicateSources {
  private readonly reservoir: EarlierLine[] = [];

  constructor(private readonly rng: Prng) {}

  /** Samples a few valid lines of the object `writer` is about to close. */
  objectClosing(writer: FirehoseWriter): void {
    const available = writer.validLines;
    for (let i = 0; i < Math.min(SAMPLES_PER_OBJECT, available); i++) {
      const entry = { line: writer.validLine(this.rng.int(available)), objectIndex: writer.objectIndex };
      if (this.reservoir.length < RESERVOIR_SIZE) this.reservoir.push(entry);
      else this.reservoir[this.rng.int(RESERVOIR_SIZE)] = entry;
    }
  }

  /**
   * An earlier valid line: about half the time from the open object (when it has valid lines), otherwise
   * from an object already closed. Requires at least one valid line written.
   */
  pick(writer: FirehoseWriter): EarlierLine {
    const sameObject = writer.validLines;
    if (sameObject > 0 && (this.reservoir.length === 0 || this.rng.chance(0.5))) {
      return { line: writer.validLine(this.rng.int(sameObject)), objectIndex: writer.objectIndex };
    }
    if (this.reservoir.length === 0) throw new RangeError('DuplicateSources.pick: no valid line written yet');
    return this.reservoir[this.rng.int(this.reservoir.length)]!;
  }
}
