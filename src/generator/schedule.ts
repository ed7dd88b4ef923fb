import type { Prng } from './prng';

/**
 * Places exactly `total` items after `slots` valid lines, one per equal-width stretch of the run at a
 * random position inside it: the count is exact (summaries can be asserted) and the spacing is irregular.
 */
export class JitteredSchedule {
  private placed = 0;
  private nextSlot: number;

  constructor(
    private readonly total: number,
    private readonly slots: number,
    private readonly rng: Prng,
  ) {
    this.nextSlot = this.slotOf(0);
  }

  /** How many items go right after valid line `slot` (0-based, asked in increasing order). */
  due(slot: number): number {
    let n = 0;
    while (this.nextSlot <= slot) {
      n++;
      this.placed++;
      this.nextSlot = this.slotOf(this.placed);
    }
    return n;
  }

  private slotOf(j: number): number {
    if (j >= this.total) return Number.POSITIVE_INFINITY;
    return Math.min(Math.floor(((j + this.rng.float()) * this.slots) / this.total), this.slots - 1);
  }
}
