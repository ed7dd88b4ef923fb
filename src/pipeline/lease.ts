import type { PipelineDeps } from './deps';
import type { LeaseOutcome } from './payloads';

export type { LeaseOutcome } from './payloads';

/** Takes the pipeline's run lease for `owner` (the execution name); a held lease means "skip", not an error. */
export async function acquireLease(deps: PipelineDeps, owner: string): Promise<LeaseOutcome> {
  const result = await deps.state.acquireLease({
    name: deps.config.pipelineName,
    owner,
    nowMs: deps.clock.now().getTime(),
    ttlMs: deps.config.leaseTtlSeconds * 1000,
  });
  if (!result.acquired) deps.progress(`lease held by ${result.holder ?? 'another run'}: skipping`);
  return { acquired: result.acquired, owner, holder: result.acquired ? null : (result.holder ?? null) };
}

export async function releaseLease(deps: PipelineDeps, owner: string): Promise<boolean> {
  return deps.state.releaseLease(deps.config.pipelineName, owner);
}
