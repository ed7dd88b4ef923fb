import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EventLakeStack } from './eventlake-stack';
import { stageSettings } from './stage-settings';
import { retentionWithContext } from './constructs/lake-retention';

/**
 * The CDK app: one EventLakeStack for the stage named by the `stage` context (`-c stage=dev|prod`,
 * default from cdk.json), checked by cdk-nag's AwsSolutions pack as a policy-validation plugin, so
 * synthesis fails on any finding that is not acknowledged (with a reason) on the construct it concerns.
 */
export function createEventLakeApp(props: AppProps = {}): { app: App; stack: EventLakeStack } {
  const app = new App(props);
  const stage: unknown = app.node.tryGetContext('stage') ?? 'dev';
  const staged = stageSettings(String(stage));
  const settings = { ...staged, retention: retentionWithContext(staged.retention, (key) => app.node.tryGetContext(key), staged.lookbackHours) };
  const stack = new EventLakeStack(app, settings.prefix, {
    settings,
    description: `eventlake (${settings.stage}): Kinesis -> Firehose -> S3 -> Step Functions micro-batch -> Athena Iceberg`,
    terminationProtection: settings.stage === 'prod',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

/**
 * The app as `cdk synth -c stage=<stage>` builds it (cdk.json's context), but with esbuild bundling skipped
 * (`aws:cdk:bundling-stacks: []`): for tests and the offline AWS proof, which read the template, not the code.
 */
export function offlineAppProps(stage: string, outdir?: string): AppProps {
  const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return {
    ...(outdir !== undefined ? { outdir } : {}),
    context: { ...(cdkJson.context ?? {}), stage, 'aws:cdk:bundling-stacks': [] },
  };
}
