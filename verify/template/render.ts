import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { resolverFor, type TemplateResolver } from './resolve';
import { isRecord, type CfnTemplate, type FakeEnvironment } from './template-types';

export interface RenderedStateMachine {
  readonly logicalId: string;
  /** The definition Step Functions receives, parsed. */
  readonly definition: Record<string, unknown>;
  /** The definition text after CloudFormation's substitutions. */
  readonly definitionText: string;
  /** The cloud-assembly file the definition was read from (DefinitionS3Location), if any. */
  readonly sourceFile?: string;
  readonly roleLogicalId: string;
  readonly roleArn: string;
  readonly stateMachineArn: string;
  /** Each DefinitionSubstitutions key with its resolved value. */
  readonly substitutions: Readonly<Record<string, string>>;
}

/**
 * What Step Functions receives from CloudFormation for the template's state machine: the definition
 * (DefinitionS3Location -> the file asset in the cloud assembly; or DefinitionString / Definition) with
 * every `${Name}` of DefinitionSubstitutions replaced by its resolved value as plain text, then parsed.
 * Throws if a `${...}` placeholder has no substitution or a substitution is never used.
 *
 * DefinitionSubstitutions: "A map (string to string) that specifies the mappings for placeholder
 * variables in the state machine definition. This enables the customer to inject values obtained at
 * runtime, for example from intrinsic functions, in the state machine definition. Variables can be
 * template parameter names, resource logical IDs, resource attributes, or a variable in a key-value map.
 * Substitutions must follow the syntax: `${key_name}` or `${variable_1,variable_2,...}`."
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-stepfunctions-statemachine.html#cfn-stepfunctions-statemachine-definitionsubstitutions
 * DefinitionS3Location (Bucket, Key, Version): https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-stepfunctions-statemachine-s3location.html
 */
export function renderStateMachine(
  template: CfnTemplate,
  assetDir: string,
  options: { logicalId?: string; machine?: 'microbatch' | 'compaction' | 'forget'; env?: Partial<FakeEnvironment> } = {},
): RenderedStateMachine {
  const r = resolverFor(template, options.env);
  const ids = r.logicalIdsOfType('AWS::StepFunctions::StateMachine');
  // The stack's state machines are named `<prefix>-microbatch`, `<prefix>-compaction` and `<prefix>-forget`; default the micro-batch.
  const machine = options.machine ?? 'microbatch';
  const named = ids.filter((id) => {
    const name = r.properties(id).StateMachineName;
    return typeof name === 'string' && name.endsWith(`-${machine}`);
  });
  const logicalId = options.logicalId ?? (ids.length === 1 ? ids[0] : named[0]);
  if (logicalId === undefined || (options.logicalId === undefined && ids.length !== 1 && named.length !== 1))
    throw new Error(`expected one AWS::StepFunctions::StateMachine named *-${machine}, found ${ids.length} state machines`);
  const props = r.properties(logicalId);

  const { body, sourceFile } = definitionBody(r, logicalId, props, assetDir);
  const substitutions = resolveSubstitutions(r, logicalId, props.DefinitionSubstitutions);
  const definitionText = substitute(body, substitutions, logicalId);
  let definition: unknown;
  try {
    definition = JSON.parse(definitionText);
  } catch (error) {
    throw new Error(`${logicalId}: the rendered definition is not JSON: ${(error as Error).message}`);
  }
  if (!isRecord(definition)) throw new Error(`${logicalId}: the rendered definition is not an object`);

  const roleArn = r.resolveString(props.RoleArn, `${logicalId}.RoleArn`);
  return {
    logicalId,
    definition,
    definitionText,
    ...(sourceFile !== undefined ? { sourceFile } : {}),
    roleLogicalId: roleLogicalIdOf(r, roleArn, `${logicalId}.RoleArn`),
    roleArn,
    stateMachineArn: r.ref(logicalId),
    substitutions,
  };
}

/** The logical id of the AWS::IAM::Role whose resolved ARN is `arn`. */
export function roleLogicalIdOf(r: TemplateResolver, arn: string, where: string): string {
  const matches = r.logicalIdsOfType('AWS::IAM::Role').filter((id) => r.arn(id) === arn);
  if (matches.length !== 1 || matches[0] === undefined)
    throw new Error(`${where}: ${arn} is the ARN of ${matches.length} roles of the template`);
  return matches[0];
}

function definitionBody(
  r: TemplateResolver,
  logicalId: string,
  props: Readonly<Record<string, unknown>>,
  assetDir: string,
): { body: string; sourceFile?: string } {
  const given = ['Definition', 'DefinitionString', 'DefinitionS3Location'].filter(
    (p) => props[p] !== undefined,
  );
  if (given.length !== 1)
    throw new Error(
      `${logicalId}: expected exactly one definition property, found ${given.join(', ') || 'none'}`,
    );
  if (props.DefinitionString !== undefined)
    return { body: r.resolveString(props.DefinitionString, `${logicalId}.DefinitionString`) };
  if (props.Definition !== undefined)
    return { body: JSON.stringify(r.resolve(props.Definition, `${logicalId}.Definition`)) };
  const location = r.resolve(props.DefinitionS3Location, `${logicalId}.DefinitionS3Location`);
  if (!isRecord(location) || typeof location.Bucket !== 'string' || typeof location.Key !== 'string')
    throw new Error(`${logicalId}: DefinitionS3Location needs Bucket and Key`);
  const sourceFile = assetFile(r, assetDir, location.Bucket, location.Key);
  return { body: readFileSync(sourceFile, 'utf8'), sourceFile };
}

interface AssetManifest {
  readonly files?: Record<
    string,
    {
      readonly source: { readonly path?: string; readonly packaging?: string };
      readonly destinations: Record<string, { readonly bucketName: string; readonly objectKey: string }>;
    }
  >;
}

/**
 * The cloud-assembly file published to s3://bucket/key: found through the asset manifests
 * (`*.assets.json`, https://docs.aws.amazon.com/cdk/v2/guide/assets.html) whose destination, with
 * `${AWS::AccountId}` / `${AWS::Region}` filled in for the fake account, is that bucket and key.
 */
function assetFile(r: TemplateResolver, assetDir: string, bucket: string, key: string): string {
  const found: string[] = [];
  for (const file of readdirSync(assetDir).filter((f) => f.endsWith('.assets.json'))) {
    const manifest = JSON.parse(readFileSync(join(assetDir, file), 'utf8')) as AssetManifest;
    for (const asset of Object.values(manifest.files ?? {})) {
      const matches = Object.values(asset.destinations).some(
        (d) => d.objectKey === key && r.resolveString({ 'Fn::Sub': d.bucketName }, file) === bucket,
      );
      if (!matches) continue;
      if (asset.source.path === undefined || asset.source.packaging === 'zip')
        throw new Error(`s3://${bucket}/${key} is not a single-file asset`);
      found.push(isAbsolute(asset.source.path) ? asset.source.path : join(assetDir, asset.source.path));
    }
  }
  if (found.length !== 1 || found[0] === undefined)
    throw new Error(`s3://${bucket}/${key}: expected one file asset in ${assetDir}, found ${found.length}`);
  if (!existsSync(found[0])) throw new Error(`s3://${bucket}/${key}: asset file ${found[0]} is missing`);
  return found[0];
}

function resolveSubstitutions(r: TemplateResolver, logicalId: string, raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  if (!isRecord(raw)) throw new Error(`${logicalId}: DefinitionSubstitutions must be a map`);
  return Object.fromEntries(
    Object.entries(raw).map(([key, value]) => [
      key,
      r.resolveString(value, `${logicalId}.DefinitionSubstitutions.${key}`),
    ]),
  );
}

/**
 * Replaces each `${key}` with its value as plain text, in one pass over the original text (a value is
 * never scanned again). Every placeholder of the text must be a key, and every key must be used.
 */
export function substitute(
  text: string,
  substitutions: Readonly<Record<string, string>>,
  where: string,
): string {
  const missing = new Set<string>();
  const used = new Set<string>();
  const rendered = text.replace(/\$\{([^}]*)\}/g, (placeholder, key: string) => {
    const value = Object.prototype.hasOwnProperty.call(substitutions, key) ? substitutions[key] : undefined;
    if (value === undefined) {
      missing.add(placeholder);
      return placeholder;
    }
    used.add(key);
    return value;
  });
  const unused = Object.keys(substitutions).filter((key) => !used.has(key));
  if (missing.size > 0 || unused.length > 0) {
    throw new Error(
      `${where}: ${[
        missing.size > 0 ? `placeholders without a substitution: ${[...missing].join(', ')}` : '',
        unused.length > 0 ? `substitutions never used: ${unused.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ')}`,
    );
  }
  return rendered;
}
