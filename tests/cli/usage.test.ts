import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BIN, cli } from './helpers';

const run = promisify(execFile);

describe('eventlake help and version', () => {
  it('--help prints the global help on stdout and exits 0', async () => {
    const result = await cli('--help');

    expect(result.code).toBe(0);
    expect(result.err).toBe('');
    expect(result.out).toMatch(/^Usage: eventlake <command> \[options\]/);
    expect(result.out).toMatch(/Exit codes:/);
  });

  it.each(['generate', 'run', 'backfill', 'query', 'status', 'compact', 'retain', 'demo', 'produce'])('%s --help prints that command’s own help on stdout', async (command) => {
    const result = await cli(command, '--help');

    expect(result.code).toBe(0);
    expect(result.err).toBe('');
    expect(result.out).toMatch(new RegExp(`^Usage: eventlake ${command} `));
  });

  it('help <command> is the same as <command> --help; help alone is the global help', async () => {
    const viaHelp = await cli('help', 'backfill');
    const viaOption = await cli('backfill', '--help');
    const global = await cli('help');

    expect(viaHelp.code).toBe(0);
    expect(viaHelp.out).toBe(viaOption.out);
    expect(viaHelp.out).toMatch(/--from <date>/);
    expect(global.out).toMatch(/^Usage: eventlake <command>/);
  });

  it('--version prints the package version', async () => {
    const result = await cli('--version');

    expect(result.code).toBe(0);
    expect(result.out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('no command at all: the help on stderr, exit 2', async () => {
    const result = await cli();

    expect(result.code).toBe(2);
    expect(result.err).toMatch(/Usage: eventlake <command>/);
    expect(result.out).toBe('');
  });
});

describe('eventlake usage errors: exit 2, one message, nothing done', () => {
  let lake: string;
  beforeAll(async () => {
    lake = join(await mkdtemp(join(tmpdir(), 'eventlake-usage-')), 'lake');
  });
  afterAll(() => rm(join(lake, '..'), { recursive: true, force: true }));

  it.each([
    [['rnu'], /unknown command 'rnu'\n\(Did you mean run\?\)/],
    [['quer', 'SELECT 1'], /unknown command 'quer'\n\(Did you mean query\?\)/],
    [['run', '--jsno'], /unknown option '--jsno'\n\(Did you mean --json\?\)/],
    [['run', 'extra'], /too many arguments for 'run'/],
    [['status', '--format', 'csv'], /unknown option '--format'/],
    [['query', '--json', 'SELECT 1'], /unknown option '--json'/],
    [['generate'], /required option '--events <n>' not specified/],
    [['generate', '--events', 'ten'], /option '--events <n>' argument 'ten' is invalid\. expected a whole number >= 1/],
    [['generate', '--events', '10', '--duplicates', '2'], /argument '2' is invalid\. expected a rate between 0 and 1/],
    [['generate', '--events', '10', '--start', 'yesterday'], /argument 'yesterday' is invalid\. expected an ISO time/],
    [['backfill', '--from', '2024-04-07'], /required option '--to <date>' not specified/],
    [['backfill', '--from', '2024-04-08', '--to', '2024-04-01'], /--from 2024-04-08 is after --to 2024-04-01/],
    [['backfill', '--from', '2024-04-01', '--to', '2024-04-02', '--attempt', '0'], /argument '0' is invalid\. expected a whole number >= 1/],
    [['produce', '--events', '10'], /required option '--stream <name>' not specified/],
  ])('%j', async (args, message) => {
    const result = await cli(...args, '--lake', lake);

    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(result.err).toMatch(/^eventlake: /);
    expect(result.out).toBe('');
    // checked before anything is opened: no lake folder, no lease
    expect(existsSync(lake)).toBe(false);
  });
});

describe('bin/eventlake.js loads the heavy modules only for the commands that need them', () => {
  it('--help loads neither the AWS SDK nor DuckDB nor the state machine interpreter', async () => {
    const script = `
      require('tsx/cjs');
      const { main } = require(${JSON.stringify(join(BIN, '..', '..', 'src', 'cli', 'main.ts'))});
      main(['--help'], { out: () => {}, err: () => {} }).then((code) => {
        const heavy = Object.keys(require.cache).filter((k) => /@aws-sdk|@duckdb|aws-local-stepfunctions/.test(k));
        process.stdout.write(JSON.stringify({ code, heavy: heavy.length }));
      });`;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: join(BIN, '..', '..') });

    expect(JSON.parse(stdout)).toEqual({ code: 0, heavy: 0 });
  });

  it('prints no AWS SDK Node-version warning (bin/eventlake.js handles it once)', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_CONFIG_FILE: '/nonexistent/aws-config' };
    for (const name of ['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) delete env[name];
    const result = await run(process.execPath, [BIN, 'run', '--state-machine-arn', 'arn:aws:states:eu-west-1:123456789012:stateMachine:x'], { env }).catch(
      (error: { code: number; stderr: string }) => error,
    );

    expect('code' in result ? result.code : 0).toBe(2);
    expect(result.stderr).toMatch(/no AWS region/);
    expect(result.stderr).not.toMatch(/NodeVersionSupportWarning/);
  });
});
