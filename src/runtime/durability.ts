/**
 * Staged rows are rewritten by a resumed run (every state runs again), so they skip fsync; manifests,
 * quarantine, curated files and run summaries must survive a power loss once the checkpoint moved.
 */
export function isDurableKey(key: string): boolean {
  return !key.startsWith('staging/staged/') && !/^staging\/batches\/[^/]+\/(lessons|versions)\//.test(key);
}
