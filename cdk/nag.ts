import { Stack, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';

/** Shortest reason accepted: cdk-nag accepts an empty one, we do not. */
export const MIN_REASON_LENGTH = 20;

/**
 * Acknowledges one cdk-nag finding on `scope` (the narrowest construct that owns it). Every call must
 * have a matching entry in cdk/nag-allowlist.json; tests/cdk/nag.test.ts compares both ways.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  if (reason.trim().length < MIN_REASON_LENGTH) {
    throw new Error(
      `${scope.node.path}: acknowledgement of ${id} needs a reason of at least ${MIN_REASON_LENGTH} characters`,
    );
  }
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * The cdk-nag finding id of a wildcard resource in an IAM statement, exactly as AwsSolutions-IAM5
 * reports it (tokens flattened to `<LogicalId.Attr>`), e.g. `AwsSolutions-IAM5[Resource::<RawBucket.Arn>/raw/*]`.
 */
export function wildcardResourceFinding(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(resource))}]`;
}

/**
 * The CloudFormation resource of an L2 construct (its default child): the narrowest scope a finding
 * on it can be acknowledged on.
 */
export function cfnResourceOf(construct: IConstruct): IConstruct {
  const child = construct.node.defaultChild;
  if (child === undefined)
    throw new Error(`${construct.node.path} has no CloudFormation resource to acknowledge on`);
  return child;
}

/** Acknowledges each wildcard resource of `resources` (those without `*` need nothing) on `scope`. */
export function acknowledgeWildcardResources(
  scope: IConstruct,
  resources: readonly string[],
  reason: string,
): void {
  for (const resource of resources) {
    const flat = flattenCfnReference(Stack.of(scope).resolve(resource));
    if (flat.includes('*')) acknowledge(scope, wildcardResourceFinding(scope, resource), reason);
  }
}
