/**
 * Runs async sections one at a time, in call order, within one process.
 * The local adapters use it so that calls on one instance queue instead of racing (and, for the state
 * store, instead of spinning on their own file lock).
 */
export class AsyncMutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(section: () => Promise<T>): Promise<T> {
    const result = this.tail.then(section);
    // The next section waits for this one to settle, whatever its outcome; `tail` itself never rejects.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
