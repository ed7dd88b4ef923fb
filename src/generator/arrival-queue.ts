/** Receives the bytes of one line, `source[start, end)` (no `\n`), and the line's arrival time. */
export type LineSink = (source: Buffer, start: number, end: number, arrival: number) => void;

/** Seconds of arrival time the queue can span; must exceed the longest delivery delay. */
const SECONDS = 1024;
const MASK = SECONDS - 1;

/**
 * Reorders lines from event-time order (the order they are generated in) into arrival order, in bounded
 * memory and without keeping strings alive: each line is encoded into a byte arena when pushed and only
 * numbers are queued, so the garbage collector never copies in-flight lines. Lines are bucketed by arrival
 * second and a bucket is released once event time has passed its end: as every delay is >= 0, no later
 * event can arrive in it any more. Within one arrival second lines keep their event-time order (object
 * keys have one-second resolution, so nothing observable depends on the order inside a second). The arena
 * only holds the lines of the delay window (a few minutes of traffic) and grows when traffic is denser.
 */
export class ArrivalQueue {
  private arena = Buffer.allocUnsafe(1 << 20);
  /** Arena offset of the next line. */
  private writeAt = 0;

  // Per line, indexed by push order (seq) modulo capacity.
  private capacity = 1 << 12;
  private arrivals = new Float64Array(this.capacity);
  private starts = new Int32Array(this.capacity);
  private lengths = new Int32Array(this.capacity);
  private done = new Uint8Array(this.capacity);
  private nextSeq = 0;
  /** Oldest line not yet released; lines are released out of order, the arena is reclaimed in order. */
  private oldestSeq = 0;

  private readonly buckets: number[][] = Array.from({ length: SECONDS }, () => []);
  /** First arrival second not released yet. */
  private cursor = Number.NaN;
  private pending = 0;

  /** Lines pushed and not released yet. */
  get size(): number {
    return this.pending;
  }

  /** Queues `line` (no `\n`) arriving at `arrival` (Unix seconds): no earlier than the last released second, within ~17 minutes of it. */
  push(line: string, arrival: number): void {
    const second = Math.floor(arrival);
    if (Number.isNaN(this.cursor)) this.cursor = second;
    if (second < this.cursor || second - this.cursor >= SECONDS - 1) {
      throw new RangeError(
        `ArrivalQueue: arrival ${arrival} outside the open window starting at ${this.cursor}`,
      );
    }
    if (this.nextSeq - this.oldestSeq === this.capacity) this.growEntries();
    const room = line.length * 3;
    const at = this.reserve(room);
    const length = this.arena.write(line, at, 'utf8');
    this.writeAt = at + length;
    const slot = this.nextSeq & (this.capacity - 1);
    this.arrivals[slot] = arrival;
    this.starts[slot] = at;
    this.lengths[slot] = length;
    this.done[slot] = 0;
    this.buckets[second & MASK]!.push(this.nextSeq);
    this.nextSeq++;
    this.pending++;
  }

  /** Sends to `sink`, in arrival order, every line arriving before second `second`. */
  releaseBefore(second: number, sink: LineSink): void {
    if (Number.isNaN(this.cursor)) this.cursor = second;
    while (this.pending > 0 && this.cursor < second) {
      const bucket = this.buckets[this.cursor & MASK]!;
      if (bucket.length > 0) this.releaseBucket(bucket, sink);
      this.cursor++;
    }
    if (this.pending === 0 && this.cursor < second) this.cursor = second;
  }

  /** Sends every queued line to `sink`, in arrival order. */
  releaseAll(sink: LineSink): void {
    while (this.pending > 0) {
      const bucket = this.buckets[this.cursor & MASK]!;
      if (bucket.length > 0) this.releaseBucket(bucket, sink);
      this.cursor++;
    }
  }

  private releaseBucket(bucket: number[], sink: LineSink): void {
    const mask = this.capacity - 1;
    for (const seq of bucket) {
      const slot = seq & mask;
      const start = this.starts[slot]!;
      sink(this.arena, start, start + this.lengths[slot]!, this.arrivals[slot]!);
      this.done[slot] = 1;
      this.pending--;
    }
    bucket.length = 0;
    while (this.oldestSeq < this.nextSeq && this.done[this.oldestSeq & mask] === 1) this.oldestSeq++;
    if (this.oldestSeq === this.nextSeq) this.writeAt = 0;
  }

  /** An arena offset with `room` free bytes after it, wrapping around or growing as needed. */
  private reserve(room: number): number {
    if (this.oldestSeq === this.nextSeq) {
      this.writeAt = 0;
      if (room > this.arena.length) this.growArena(room);
      return 0;
    }
    const tail = this.starts[this.oldestSeq & (this.capacity - 1)]!;
    if (this.writeAt > tail) {
      // Live bytes are [tail, writeAt): free space is after writeAt, then before tail.
      if (this.writeAt + room <= this.arena.length) return this.writeAt;
      if (room < tail) return 0;
    } else if (this.writeAt + room < tail) {
      // Wrapped: live bytes are [tail, end) and [0, writeAt).
      return this.writeAt;
    }
    this.growArena(room);
    return this.writeAt;
  }

  /** Moves the live lines, in push order, to the start of a bigger arena. */
  private growArena(room: number): void {
    let size = this.arena.length * 2;
    while (size < this.arena.length + room) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    const mask = this.capacity - 1;
    let at = 0;
    for (let seq = this.oldestSeq; seq < this.nextSeq; seq++) {
      const slot = seq & mask;
      if (this.done[slot] === 1) continue;
      const start = this.starts[slot]!;
      const length = this.lengths[slot]!;
      this.arena.copy(bigger, at, start, start + length);
      this.starts[slot] = at;
      at += length;
    }
    this.arena = bigger;
    this.writeAt = at;
  }

  private growEntries(): void {
    const oldMask = this.capacity - 1;
    const capacity = this.capacity * 2;
    const mask = capacity - 1;
    const arrivals = new Float64Array(capacity);
    const starts = new Int32Array(capacity);
    const lengths = new Int32Array(capacity);
    const done = new Uint8Array(capacity);
    for (let seq = this.oldestSeq; seq < this.nextSeq; seq++) {
      arrivals[seq & mask] = this.arrivals[seq & oldMask]!;
      starts[seq & mask] = this.starts[seq & oldMask]!;
      lengths[seq & mask] = this.lengths[seq & oldMask]!;
      done[seq & mask] = this.done[seq & oldMask]!;
    }
    this.capacity = capacity;
    this.arrivals = arrivals;
    this.starts = starts;
    this.lengths = lengths;
    this.done = done;
  }
}
