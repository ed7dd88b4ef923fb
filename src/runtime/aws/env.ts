import { ConfigError } from '../../errors';
import { DEFAULT_CONFIG } from '../../pipeline/config';
import { AWS_ENV_VARIABLES, type AwsEnv } from '../../workflow/environment';

/** The values a task Lambda assumes for the optional variables (CDK's stage defaults take the same). */
export const AWS_ENV_DEFAULTS = {
  pipelineName: DEFAULT_CONFIG.pipelineName,
  lookbackHours: 72,
  sliceMaxBytes: DEFAULT_CONFIG.sliceMaxBytes,
  maxBatchObjects: DEFAULT_CONFIG.maxBatchObjects,
  maxBatchBytes: DEFAULT_CONFIG.maxBatchBytes,
  dedupHorizonDays: DEFAULT_CONFIG.dedupHorizonDays,
} as const;

type Env = Readonly<Record<string, string | undefined>>;

interface Rule<T> {
  /** The expected form, as told in the error. */
  readonly form: string;
  parse(text: string): T | undefined;
}

const bucket: Rule<string> = {
  form: 'an S3 bucket name (3-63 characters: lower-case letters, digits, "." and "-")',
  parse: (text) => (/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(text) ? text : undefined),
};
const table: Rule<string> = {
  form: 'a DynamoDB table name (3-255 characters: letters, digits, "_", "-" and ".")',
  parse: (text) => (/^[A-Za-z0-9_.-]{3,255}$/.test(text) ? text : undefined),
};
const workGroup: Rule<string> = {
  form: 'an Athena workgroup name (1-128 characters: letters, digits, "_", "-" and ".")',
  parse: (text) => (/^[A-Za-z0-9_.-]{1,128}$/.test(text) ? text : undefined),
};
const glueDatabase: Rule<string> = {
  form: 'a Glue database name usable unquoted in Athena (lower-case letters, digits and "_", not starting with a digit)',
  parse: (text) => (/^[a-z_][a-z0-9_]{0,254}$/.test(text) ? text : undefined),
};
const pipelineName: Rule<string> = {
  form: 'a name of 1-128 characters: letters, digits, "_", "-" and "."',
  parse: (text) => (/^[A-Za-z0-9_.-]{1,128}$/.test(text) ? text : undefined),
};

function integer(min: number, max: number, unit: string): Rule<number> {
  return {
    form: `a whole number of ${unit} from ${min} to ${max}`,
    parse: (text) => {
      if (!/^\d+$/.test(text)) return undefined;
      const value = Number(text);
      return Number.isSafeInteger(value) && value >= min && value <= max ? value : undefined;
    },
  };
}

/**
 * Reads and checks every EVENTLAKE_* variable; throws one `ConfigError` listing each missing or invalid
 * variable with the form it expects, so a misconfigured function fails at cold start, not mid-run.
 * Empty values count as unset.
 */
export function readAwsEnv(env: Env = process.env): AwsEnv {
  const problems: string[] = [];

  function read<T>(key: keyof AwsEnv, rule: Rule<T>, fallback?: T): T {
    const name = AWS_ENV_VARIABLES[key];
    const text = env[name]?.trim() ?? '';
    if (text === '') {
      if (fallback !== undefined) return fallback;
      problems.push(`${name} is not set: expected ${rule.form}`);
      return undefined as T;
    }
    const value = rule.parse(text);
    if (value === undefined)
      problems.push(`${name}=${JSON.stringify(text)} is invalid: expected ${rule.form}`);
    return value as T;
  }

  const settings: AwsEnv = {
    rawBucket: read('rawBucket', bucket),
    curatedBucket: read('curatedBucket', bucket),
    stagingBucket: read('stagingBucket', bucket),
    quarantineBucket: read('quarantineBucket', bucket),
    stateTable: read('stateTable', table),
    controlTable: read('controlTable', table),
    athenaWorkGroup: read('athenaWorkGroup', workGroup),
    glueDatabase: read('glueDatabase', glueDatabase),
    pipelineName: read('pipelineName', pipelineName, AWS_ENV_DEFAULTS.pipelineName),
    lookbackHours: read('lookbackHours', integer(1, 24 * 366, 'hours'), AWS_ENV_DEFAULTS.lookbackHours),
    sliceMaxBytes: read(
      'sliceMaxBytes',
      integer(1024, 1024 * 1024 * 1024, 'bytes'),
      AWS_ENV_DEFAULTS.sliceMaxBytes,
    ),
    maxBatchObjects: read('maxBatchObjects', integer(1, 1_000_000, 'objects'), AWS_ENV_DEFAULTS.maxBatchObjects),
    maxBatchBytes: read('maxBatchBytes', integer(1024, 10 * 1024 ** 4, 'bytes'), AWS_ENV_DEFAULTS.maxBatchBytes),
    dedupHorizonDays: read('dedupHorizonDays', integer(0, 3660, 'days'), AWS_ENV_DEFAULTS.dedupHorizonDays),
  };
  if (problems.length > 0) throw new ConfigError(`eventlake AWS environment: ${problems.join('; ')}`);
  return settings;
}
