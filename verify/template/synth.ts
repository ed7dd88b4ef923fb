import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventLakeApp, offlineAppProps } from '../../cdk/eventlake-app';
import type { StageName } from '../../cdk/stage-settings';
import type { CfnTemplate } from './template-types';

/** Root of the repository (verify/template/ is two levels down). */
export const REPO_ROOT = join(__dirname, '..', '..');

export interface VerifySynthesis {
  /** The stack's CloudFormation template, exactly as `cdk synth` writes it. */
  readonly template: CfnTemplate;
  /**
   * The cloud assembly directory: the template, the `*.assets.json` manifest and the file assets
   * (the state machine definition is one: DefinitionBody.fromFile becomes `DefinitionS3Location`).
   */
  readonly assetDir: string;
  /** The stack's name: CloudFormation builds generated physical names from it. */
  readonly stackName: string;
}

const cache = new Map<StageName, VerifySynthesis>();
const createdDirs: string[] = [];
let cleanupRegistered = false;

/**
 * The real app (cdk/eventlake-app.ts) synthesized in-process and offline, with cdk.json's context and
 * `stage`, esbuild bundling skipped (`aws:cdk:bundling-stacks: []`: Lambda code assets keep their source
 * path and nothing is bundled), into a temporary cloud assembly removed when the process exits.
 * Synthesized once per stage per process.
 */
export function synthesizeForVerify(stage: StageName = 'dev'): VerifySynthesis {
  const cached = cache.get(stage);
  if (cached !== undefined) return cached;

  const outdir = mkdtempSync(join(tmpdir(), `eventlake-verify-${stage}-`));
  createdDirs.push(outdir);
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    process.once('exit', () => {
      for (const dir of createdDirs) rmSync(dir, { recursive: true, force: true });
    });
  }

  const { app, stack } = createEventLakeApp(offlineAppProps(stage, outdir));
  const assembly = app.synth();
  const artifact = assembly.getStackArtifact(stack.artifactId);
  const synthesized: VerifySynthesis = {
    template: artifact.template as CfnTemplate,
    assetDir: assembly.directory,
    stackName: artifact.stackName,
  };
  cache.set(stage, synthesized);
  return synthesized;
}
