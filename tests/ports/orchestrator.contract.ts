import type { ExecutionRequest, Orchestrator } from '../../src/ports/orchestrator';

/** An orchestrator set up so that `request` ends the given way. */
export interface OrchestratorScenario {
  readonly orchestrator: Orchestrator;
  readonly request: ExecutionRequest;
  cleanup(): Promise<void>;
}

export type ScenarioOutcome = 'succeeds' | 'fails-conservation' | 'skipped-lease-held';

/**
 * What every Orchestrator promises (src/ports/orchestrator.ts): an execution that ends is reported as a
 * value (never thrown), with its output when it succeeded and the ASL error name and cause when it failed.
 */
export function orchestratorContract(name: string, makeScenario: (outcome: ScenarioOutcome) => Promise<OrchestratorScenario>): void {
  describe(`Orchestrator contract: ${name}`, () => {
    it('reports a successful execution with its name and the run summary as output', async () => {
      const s = await makeScenario('succeeds');
      try {
        const result = await s.orchestrator.execute(s.request);

        expect(result.status).toBe('SUCCEEDED');
        expect(result.name).toBe(s.request.name);
        expect(result.output).toMatchObject({ status: 'committed', lines_read: expect.any(Number) as unknown });
        expect(result.error).toBeUndefined();
      } finally {
        await s.cleanup();
      }
    });

    it('reports a failed execution as a value carrying the original ASL error name and cause', async () => {
      const s = await makeScenario('fails-conservation');
      try {
        const result = await s.orchestrator.execute(s.request);

        expect(result).toMatchObject({ name: s.request.name, status: 'FAILED', error: 'EventLake.ConservationViolated' });
        expect(result.cause).toMatch(/balance/);
        expect(result.output).toBeUndefined();
      } finally {
        await s.cleanup();
      }
    });

    it('reports a run skipped for a held lease as a success that committed nothing', async () => {
      const s = await makeScenario('skipped-lease-held');
      try {
        const result = await s.orchestrator.execute(s.request);

        expect(result.status).toBe('SUCCEEDED');
        expect(result.output).toMatchObject({ lease: { acquired: false } });
      } finally {
        await s.cleanup();
      }
    });
  });
}
