import { join } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createEventLakeApp, offlineAppProps } from '../../cdk/eventlake-app';
import type { EventLakeStack } from '../../cdk/eventlake-stack';
import type { StageName } from '../../cdk/stage-settings';

export const REPO_ROOT = join(__dirname, '..', '..');

export interface SynthesizedStage {
  readonly app: App;
  readonly stack: EventLakeStack;
  readonly template: Template;
}

const cache = new Map<StageName, SynthesizedStage>();

/**
 * The app exactly as `cdk synth` builds it (cdk.json context, `-c stage=<stage>`), except that esbuild
 * bundling is skipped (`aws:cdk:bundling-stacks: []`): the tests read the template, not the code.
 * Synthesized once per stage per test file.
 */
export function synthStage(stage: StageName): SynthesizedStage {
  let synthesized = cache.get(stage);
  if (synthesized === undefined) {
    const { app, stack } = createEventLakeApp(offlineAppProps(stage));
    synthesized = { app, stack, template: Template.fromStack(stack) };
    cache.set(stage, synthesized);
  }
  return synthesized;
}

/** Logical id of a construct's CloudFormation resource (its default child). */
export function logicalId(
  synthesized: SynthesizedStage,
  construct: { node: { defaultChild?: unknown } },
): string {
  return synthesized.stack.getLogicalId(construct.node.defaultChild as never);
}

/** Every IAM policy document of the template: inline role policies and AWS::IAM::Policy resources. */
export function iamPolicyDocuments(template: Template): { owner: string; statements: IamStatement[] }[] {
  const docs: { owner: string; statements: IamStatement[] }[] = [];
  for (const [id, resource] of Object.entries(
    template.toJSON().Resources as Record<string, CfnResourceJson>,
  )) {
    if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of resource.Properties.Policies ?? [])
        docs.push({ owner: id, statements: policy.PolicyDocument.Statement });
    } else if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      // Attributed to the role(s) it is attached to, so a role's statements include its default policy.
      const roles = (resource.Properties.Roles ?? []).map((role) => role.Ref);
      for (const owner of roles.length > 0 ? roles : [id])
        docs.push({ owner, statements: resource.Properties.PolicyDocument.Statement });
    }
  }
  return docs;
}

export interface IamStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

interface CfnResourceJson {
  readonly Type: string;
  readonly Properties: {
    readonly Policies?: { PolicyDocument: { Statement: IamStatement[] } }[];
    readonly PolicyDocument: { Statement: IamStatement[] };
    readonly Roles?: { Ref: string }[];
  };
}

export function asArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** Statements of a role's inline policies, looked up by the role's logical id. */
export function roleStatements(template: Template, roleLogicalId: string): IamStatement[] {
  return iamPolicyDocuments(template)
    .filter((doc) => doc.owner === roleLogicalId)
    .flatMap((doc) => doc.statements);
}
