import { createHash } from 'node:crypto';
import {
  FAKE_ENV,
  isRecord,
  type CfnResource,
  type CfnTemplate,
  type FakeEnvironment,
} from './template-types';

export { FAKE_ENV, type CfnTemplate, type CfnResource, type FakeEnvironment } from './template-types';

/**
 * Resolves the CloudFormation intrinsics this project's template uses (Ref, Fn::GetAtt, Fn::Join,
 * Fn::Sub, Fn::Select, Fn::Split and the pseudo parameters) over a fixed fake account and region, giving
 * each resource the physical name and ARN AWS would give it. Anything else (Fn::If, Fn::ImportValue,
 * Fn::FindInMap, an attribute or resource type not listed below...) throws, naming where it was met.
 *
 * Intrinsic functions: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html
 * Pseudo parameters: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/pseudo-parameter-reference.html
 * What Ref and Fn::GetAtt return per resource type: the "Return values" section of each resource's page
 * (cited per type in RESOURCE_KINDS); ARN formats: https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
 */
export class TemplateResolver {
  readonly env: FakeEnvironment;
  private readonly resources: Readonly<Record<string, CfnResource>>;
  private readonly names = new Map<string, string>();

  constructor(
    readonly template: CfnTemplate,
    env: Partial<FakeEnvironment> = {},
  ) {
    this.env = { ...FAKE_ENV, ...env };
    this.resources = template.Resources;
  }

  /** The resource of a logical id; throws if the template has none. */
  resource(logicalId: string): CfnResource {
    const resource = this.resources[logicalId];
    if (resource === undefined) throw new Error(`no resource ${logicalId} in the template`);
    return resource;
  }

  /** Logical ids of every resource of a type. */
  logicalIdsOfType(type: string): string[] {
    return Object.entries(this.resources)
      .filter(([, r]) => r.Type === type)
      .map(([id]) => id);
  }

  /** Deeply resolves every intrinsic in a value. `where` names the value in errors. */
  resolve(value: unknown, where = 'value'): unknown {
    if (Array.isArray(value)) return value.map((v, i) => this.resolve(v, `${where}[${i}]`));
    if (!isRecord(value)) return value;
    const keys = Object.keys(value);
    const only = keys.length === 1 ? keys[0] : undefined;
    if (only === 'Ref' || (only !== undefined && only.startsWith('Fn::')) || only === 'Condition') {
      return this.intrinsic(only, value[only], where);
    }
    return Object.fromEntries(keys.map((k) => [k, this.resolve(value[k], `${where}.${k}`)]));
  }

  /** Resolves a value that must be a string (numbers and booleans are their text, as in CloudFormation). */
  resolveString(value: unknown, where = 'value'): string {
    const resolved = this.resolve(value, where);
    if (typeof resolved === 'string') return resolved;
    if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
    throw new Error(`${where}: expected a string, got ${JSON.stringify(resolved)}`);
  }

  /** What `Ref` returns for a logical id or pseudo parameter. */
  ref(name: string, where = 'Ref'): string {
    const pseudo = this.pseudo(name, where);
    if (pseudo !== undefined) return pseudo;
    const parameter = this.template.Parameters?.[name];
    if (parameter !== undefined) {
      if (parameter.Type.startsWith('AWS::SSM::Parameter') || parameter.Default === undefined)
        throw new Error(`${where}: parameter ${name} (${parameter.Type}) has no value offline`);
      const value = parameter.Default;
      return typeof value === 'string' ? value : JSON.stringify(value);
    }
    const resource = this.resource(name);
    const kind = kindOf(resource.Type, where);
    return kind.ref(this, name);
  }

  /** What `Fn::GetAtt [logicalId, attribute]` returns. */
  getAtt(logicalId: string, attribute: string, where = 'Fn::GetAtt'): string {
    const resource = this.resource(logicalId);
    const getter = kindOf(resource.Type, where).attributes[attribute];
    if (getter === undefined)
      throw new Error(`${where}: ${resource.Type} ${logicalId} has no supported attribute ${attribute}`);
    return getter(this, logicalId);
  }

  /** The ARN of a resource (also for types whose ARN is no CloudFormation attribute, e.g. Glue, Athena). */
  arn(logicalId: string): string {
    const resource = this.resource(logicalId);
    const kind = kindOf(resource.Type, `arn(${logicalId})`);
    if (kind.arn === undefined) throw new Error(`${resource.Type} ${logicalId}: no ARN known`);
    return kind.arn(this, logicalId);
  }

  /**
   * The physical name: the resource's name property (resolved) or, when it has none, the name
   * CloudFormation generates: "<stack>-<logical id>-<random>" (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-name.html),
   * here with a random part derived from the stack name and logical id so runs are deterministic.
   */
  physicalName(logicalId: string): string {
    const cached = this.names.get(logicalId);
    if (cached !== undefined) return cached;
    const resource = this.resource(logicalId);
    const kind = kindOf(resource.Type, `physicalName(${logicalId})`);
    const given = kind.nameOf?.(resource);
    let name: string;
    if (given !== undefined && given !== null) {
      name = this.resolveString(given, `${logicalId}.name`);
    } else if (kind.generated !== undefined) {
      name = this.generatedName(logicalId, kind.generated);
    } else {
      throw new Error(`${resource.Type} ${logicalId}: no name property and no generated name known`);
    }
    this.names.set(logicalId, name);
    return name;
  }

  /** The `Properties` of a resource ({} when it has none). */
  properties(logicalId: string): Readonly<Record<string, unknown>> {
    return this.resource(logicalId).Properties ?? {};
  }

  private generatedName(logicalId: string, rule: GeneratedName): string {
    const digest = createHash('sha256').update(`${this.env.stackName}/${logicalId}`).digest('hex');
    const suffix = rule === 'uuid' ? uuidFrom(digest) : digest.slice(0, 12).toUpperCase();
    if (rule === 'uuid') return suffix;
    let name = `${this.env.stackName}-${logicalId}-${suffix}`;
    if (rule.lowerCase) name = name.toLowerCase();
    if (name.length > rule.maxLength) {
      const keep = rule.maxLength - suffix.length - 1;
      name = `${name.slice(0, keep)}-${rule.lowerCase ? suffix.toLowerCase() : suffix}`;
    }
    return name;
  }

  private pseudo(name: string, where: string): string | undefined {
    const { accountId, region, partition, urlSuffix, stackName } = this.env;
    switch (name) {
      case 'AWS::AccountId':
        return accountId;
      case 'AWS::Region':
        return region;
      case 'AWS::Partition':
        return partition;
      case 'AWS::URLSuffix':
        return urlSuffix;
      case 'AWS::StackName':
        return stackName;
      case 'AWS::StackId':
        return `arn:${partition}:cloudformation:${region}:${accountId}:stack/${stackName}/${uuidFrom(
          createHash('sha256').update(stackName).digest('hex'),
        )}`;
      default:
        if (name.startsWith('AWS::')) throw new Error(`${where}: pseudo parameter ${name} is not supported`);
        return undefined;
    }
  }

  private intrinsic(name: string, args: unknown, where: string): unknown {
    const at = `${where}.${name}`;
    switch (name) {
      case 'Ref':
        if (typeof args !== 'string') throw new Error(`${at}: expected a name`);
        return this.ref(args, at);
      case 'Fn::GetAtt': {
        const [id, attribute] =
          typeof args === 'string' ? splitOnce(args, '.') : (args as [unknown, unknown]);
        if (typeof id !== 'string' || typeof attribute !== 'string')
          throw new Error(`${at}: expected [logicalId, attribute]`);
        return this.getAtt(id, attribute, at);
      }
      case 'Fn::Join': {
        const [delimiter, list] = tuple(args, 2, at);
        if (typeof delimiter !== 'string') throw new Error(`${at}: delimiter must be a string`);
        return this.list(list, at).join(delimiter);
      }
      case 'Fn::Select': {
        const [index, list] = tuple(args, 2, at);
        const i = Number(this.resolve(index, `${at}[0]`));
        const items = this.list(list, at);
        if (!Number.isInteger(i) || i < 0 || i >= items.length)
          throw new Error(`${at}: index ${String(index)} outside a list of ${items.length}`);
        return items[i];
      }
      case 'Fn::Split': {
        const [delimiter, source] = tuple(args, 2, at);
        if (typeof delimiter !== 'string') throw new Error(`${at}: delimiter must be a string`);
        return this.resolveString(source, `${at}[1]`).split(delimiter);
      }
      case 'Fn::Sub':
        return this.sub(args, at);
      default:
        throw new Error(`${at}: intrinsic ${name} is not supported offline`);
    }
  }

  /** A list argument: a literal list (each item resolved to a string) or an intrinsic returning one. */
  private list(value: unknown, where: string): string[] {
    const resolved = this.resolve(value, where);
    if (!Array.isArray(resolved))
      throw new Error(`${where}: expected a list, got ${JSON.stringify(resolved)}`);
    return resolved.map((item, i) => {
      if (typeof item === 'string') return item;
      if (typeof item === 'number' || typeof item === 'boolean') return String(item);
      throw new Error(`${where}[${i}]: expected a string, got ${JSON.stringify(item)}`);
    });
  }

  /**
   * Fn::Sub: `${Name}` is a variable of the map, a parameter, a logical id (its Ref) or a pseudo parameter;
   * `${Name.Attr}` is Fn::GetAtt; `${!Literal}` writes `${Literal}`.
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-sub.html
   */
  private sub(args: unknown, where: string): string {
    const [text, variables] =
      typeof args === 'string' ? [args, {}] : (tuple(args, 2, where) as [unknown, unknown]);
    if (typeof text !== 'string' || !isRecord(variables)) throw new Error(`${where}: malformed Fn::Sub`);
    return text.replace(/\$\{([^}]*)\}/g, (_match, inner: string) => {
      if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
      const name = inner.trim();
      if (name in variables) return this.resolveString(variables[name], `${where}.${name}`);
      if (name.includes('.') && !name.startsWith('AWS::')) {
        const [id, attribute] = splitOnce(name, '.');
        return this.getAtt(id, attribute, where);
      }
      return this.ref(name, where);
    });
  }
}

/** One resolver per template object and environment. */
const resolvers = new WeakMap<CfnTemplate, Map<string, TemplateResolver>>();

export function resolverFor(template: CfnTemplate, env: Partial<FakeEnvironment> = {}): TemplateResolver {
  let byEnv = resolvers.get(template);
  if (byEnv === undefined) resolvers.set(template, (byEnv = new Map<string, TemplateResolver>()));
  const key = JSON.stringify({ ...FAKE_ENV, ...env });
  let resolver = byEnv.get(key);
  if (resolver === undefined) byEnv.set(key, (resolver = new TemplateResolver(template, env)));
  return resolver;
}

type GeneratedName = 'uuid' | { readonly maxLength: number; readonly lowerCase: boolean };

interface ResourceKind {
  /** The resource's name property, if set. */
  readonly nameOf?: (resource: CfnResource) => unknown;
  /** How CloudFormation names it when the template does not. */
  readonly generated?: GeneratedName;
  readonly ref: (r: TemplateResolver, id: string) => string;
  readonly arn?: (r: TemplateResolver, id: string) => string;
  readonly attributes: Readonly<Record<string, (r: TemplateResolver, id: string) => string>>;
}

function prop(name: string): (resource: CfnResource) => unknown {
  return (resource) => resource.Properties?.[name];
}

function nested(...path: string[]): (resource: CfnResource) => unknown {
  return (resource) => {
    let value: unknown = resource.Properties;
    for (const key of path) value = isRecord(value) ? value[key] : undefined;
    return value;
  };
}

/** `arn:<partition>:<service>:<region>:<account>:<resource>` for the fake environment. */
function regional(r: TemplateResolver, service: string, resource: string): string {
  const { partition, region, accountId } = r.env;
  return `arn:${partition}:${service}:${region}:${accountId}:${resource}`;
}

const name = (r: TemplateResolver, id: string): string => r.physicalName(id);

/**
 * Per resource type: what Ref and each supported Fn::GetAtt return, the name property and the ARN.
 * Each entry cites the type's "Return values" documentation; ARN formats are those of the service's
 * page in the Service Authorization Reference.
 */
const RESOURCE_KINDS: Readonly<Record<string, ResourceKind>> = {
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3-bucket.html#aws-resource-s3-bucket-return-values
  // Bucket names are lower case, at most 63 characters: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
  'AWS::S3::Bucket': {
    nameOf: prop('BucketName'),
    generated: { maxLength: 63, lowerCase: true },
    ref: name,
    arn: (r, id) => `arn:${r.env.partition}:s3:::${r.physicalName(id)}`,
    attributes: {
      Arn: (r, id) => `arn:${r.env.partition}:s3:::${r.physicalName(id)}`,
      DomainName: (r, id) => `${r.physicalName(id)}.s3.${r.env.urlSuffix}`,
      RegionalDomainName: (r, id) => `${r.physicalName(id)}.s3.${r.env.region}.${r.env.urlSuffix}`,
    },
  },
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-function.html#aws-resource-lambda-function-return-values
  // Generated function names are at most 64 characters: https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
  'AWS::Lambda::Function': {
    nameOf: prop('FunctionName'),
    generated: { maxLength: 64, lowerCase: false },
    ref: name,
    arn: (r, id) => regional(r, 'lambda', `function:${r.physicalName(id)}`),
    attributes: { Arn: (r, id) => regional(r, 'lambda', `function:${r.physicalName(id)}`) },
  },
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dynamodb-table.html#aws-resource-dynamodb-table-return-values
  'AWS::DynamoDB::Table': {
    nameOf: prop('TableName'),
    generated: { maxLength: 255, lowerCase: false },
    ref: name,
    arn: (r, id) => regional(r, 'dynamodb', `table/${r.physicalName(id)}`),
    attributes: { Arn: (r, id) => regional(r, 'dynamodb', `table/${r.physicalName(id)}`) },
  },
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-role.html#aws-resource-iam-role-return-values
  // Role ARN arn:aws:iam::<account>:role/<path><name>, names at most 64 characters:
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
  'AWS::IAM::Role': {
    nameOf: prop('RoleName'),
    generated: { maxLength: 64, lowerCase: false },
    ref: name,
    arn: (r, id) => roleArn(r, id),
    attributes: {
      Arn: (r, id) => roleArn(r, id),
      RoleId: (r, id) => `AROA${createHash('sha256').update(id).digest('hex').slice(0, 17).toUpperCase()}`,
    },
  },
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-managedpolicy.html#aws-resource-iam-managedpolicy-return-values
  'AWS::IAM::ManagedPolicy': {
    nameOf: prop('ManagedPolicyName'),
    generated: { maxLength: 128, lowerCase: false },
    ref: (r, id) => `arn:${r.env.partition}:iam::${r.env.accountId}:policy/${r.physicalName(id)}`,
    arn: (r, id) => `arn:${r.env.partition}:iam::${r.env.accountId}:policy/${r.physicalName(id)}`,
    attributes: {},
  },
  // Ref returns the log group name; Arn ends in `:*`:
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-logs-loggroup.html#aws-resource-logs-loggroup-return-values
  'AWS::Logs::LogGroup': {
    nameOf: prop('LogGroupName'),
    generated: { maxLength: 512, lowerCase: false },
    ref: name,
    arn: (r, id) => regional(r, 'logs', `log-group:${r.physicalName(id)}:*`),
    attributes: { Arn: (r, id) => regional(r, 'logs', `log-group:${r.physicalName(id)}:*`) },
  },
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-logs-logstream.html#aws-resource-logs-logstream-return-values
  'AWS::Logs::LogStream': {
    nameOf: prop('LogStreamName'),
    generated: { maxLength: 512, lowerCase: false },
    ref: name,
    attributes: {},
  },
  // Ref returns the key id (a UUID):
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kms-key.html#aws-resource-kms-key-return-values
  'AWS::KMS::Key': {
    generated: 'uuid',
    ref: name,
    arn: (r, id) => regional(r, 'kms', `key/${r.physicalName(id)}`),
    attributes: {
      Arn: (r, id) => regional(r, 'kms', `key/${r.physicalName(id)}`),
      KeyId: name,
    },
  },
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kms-alias.html#aws-resource-kms-alias-return-values
  'AWS::KMS::Alias': {
    nameOf: prop('AliasName'),
    ref: name,
    arn: (r, id) => regional(r, 'kms', r.physicalName(id)),
    attributes: {},
  },
  // Ref returns the topic ARN:
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sns-topic.html#aws-resource-sns-topic-return-values
  'AWS::SNS::Topic': {
    nameOf: prop('TopicName'),
    generated: { maxLength: 256, lowerCase: false },
    ref: (r, id) => regional(r, 'sns', r.physicalName(id)),
    arn: (r, id) => regional(r, 'sns', r.physicalName(id)),
    attributes: {
      TopicArn: (r, id) => regional(r, 'sns', r.physicalName(id)),
      TopicName: name,
    },
  },
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kinesis-stream.html#aws-resource-kinesis-stream-return-values
  'AWS::Kinesis::Stream': {
    nameOf: prop('Name'),
    generated: { maxLength: 128, lowerCase: false },
    ref: name,
    arn: (r, id) => regional(r, 'kinesis', `stream/${r.physicalName(id)}`),
    attributes: { Arn: (r, id) => regional(r, 'kinesis', `stream/${r.physicalName(id)}`) },
  },
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kinesisfirehose-deliverystream.html#aws-resource-kinesisfirehose-deliverystream-return-values
  'AWS::KinesisFirehose::DeliveryStream': {
    nameOf: prop('DeliveryStreamName'),
    generated: { maxLength: 64, lowerCase: false },
    ref: name,
    arn: (r, id) => regional(r, 'firehose', `deliverystream/${r.physicalName(id)}`),
    attributes: { Arn: (r, id) => regional(r, 'firehose', `deliverystream/${r.physicalName(id)}`) },
  },
  // Ref returns the state machine ARN:
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-stepfunctions-statemachine.html#aws-resource-stepfunctions-statemachine-return-values
  'AWS::StepFunctions::StateMachine': {
    nameOf: prop('StateMachineName'),
    generated: { maxLength: 80, lowerCase: false },
    ref: (r, id) => regional(r, 'states', `stateMachine:${r.physicalName(id)}`),
    arn: (r, id) => regional(r, 'states', `stateMachine:${r.physicalName(id)}`),
    attributes: {
      Arn: (r, id) => regional(r, 'states', `stateMachine:${r.physicalName(id)}`),
      Name: name,
    },
  },
  // Ref returns the workgroup name; its ARN is no attribute. ARN format:
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-athena-workgroup.html#aws-resource-athena-workgroup-return-values
  // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonathena.html#amazonathena-resources-for-iam-policies
  'AWS::Athena::WorkGroup': {
    nameOf: prop('Name'),
    ref: name,
    arn: (r, id) => regional(r, 'athena', `workgroup/${r.physicalName(id)}`),
    attributes: {},
  },
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-athena-namedquery.html#aws-resource-athena-namedquery-return-values
  'AWS::Athena::NamedQuery': { generated: 'uuid', ref: name, attributes: { NamedQueryId: name } },
  // Ref returns the database name; ARNs: https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-glue-database.html#aws-resource-glue-database-return-values
  'AWS::Glue::Database': {
    nameOf: nested('DatabaseInput', 'Name'),
    ref: name,
    arn: (r, id) => regional(r, 'glue', `database/${r.physicalName(id)}`),
    attributes: {},
  },
  // Ref returns the table name: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-glue-table.html#aws-resource-glue-table-return-values
  'AWS::Glue::Table': {
    nameOf: (resource) => resource.Properties?.Name ?? nested('TableInput', 'Name')(resource),
    ref: name,
    arn: (r, id) => {
      const database = r.resolveString(r.properties(id).DatabaseName, `${id}.DatabaseName`);
      return regional(r, 'glue', `table/${database}/${r.physicalName(id)}`);
    },
    attributes: {},
  },
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudwatch-alarm.html#aws-resource-cloudwatch-alarm-return-values
  'AWS::CloudWatch::Alarm': {
    nameOf: prop('AlarmName'),
    generated: { maxLength: 255, lowerCase: false },
    ref: name,
    arn: (r, id) => regional(r, 'cloudwatch', `alarm:${r.physicalName(id)}`),
    attributes: { Arn: (r, id) => regional(r, 'cloudwatch', `alarm:${r.physicalName(id)}`) },
  },
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudwatch-dashboard.html#aws-resource-cloudwatch-dashboard-return-values
  'AWS::CloudWatch::Dashboard': {
    nameOf: prop('DashboardName'),
    generated: { maxLength: 255, lowerCase: false },
    ref: name,
    attributes: {},
  },
  // Schedules in the default group: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-scheduler-schedule.html#aws-resource-scheduler-schedule-return-values
  'AWS::Scheduler::Schedule': {
    nameOf: prop('Name'),
    generated: { maxLength: 64, lowerCase: false },
    ref: name,
    arn: (r, id) => scheduleArn(r, id),
    attributes: { Arn: (r, id) => scheduleArn(r, id) },
  },
};

function roleArn(r: TemplateResolver, id: string): string {
  const path = r.properties(id).Path;
  const rolePath = path === undefined ? '/' : r.resolveString(path, `${id}.Path`);
  return `arn:${r.env.partition}:iam::${r.env.accountId}:role${rolePath}${r.physicalName(id)}`;
}

function scheduleArn(r: TemplateResolver, id: string): string {
  const group = r.properties(id).GroupName;
  const groupName = group === undefined ? 'default' : r.resolveString(group, `${id}.GroupName`);
  return regional(r, 'scheduler', `schedule/${groupName}/${r.physicalName(id)}`);
}

function kindOf(type: string, where: string): ResourceKind {
  const kind = RESOURCE_KINDS[type];
  if (kind === undefined) throw new Error(`${where}: resource type ${type} is not supported offline`);
  return kind;
}

function tuple(value: unknown, length: number, where: string): unknown[] {
  if (!Array.isArray(value) || value.length !== length)
    throw new Error(`${where}: expected a list of ${length}, got ${JSON.stringify(value)}`);
  return value as unknown[];
}

function splitOnce(text: string, separator: string): [string, string] {
  const i = text.indexOf(separator);
  if (i < 0) return [text, ''];
  return [text.slice(0, i), text.slice(i + separator.length)];
}

function uuidFrom(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
