import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { main } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/io';
import type { GenerateSummary } from '../../src/generator/generate';
import type { RunSummary } from '../../src/pipeline/run-summary';
import { FileStateStore } from '../../src/adapters/local/file-state-store';

const run = promisify(execFile);

function capture(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

async function cli(lake: string, ...args: string[]) {
  const io = capture();
  const code = await main([...args, '--lake', lake], io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

describe('eventlake CLI end to end (generate, run, query)', () => {
  let lake: string;
  let generated: GenerateSummary;
  let first: RunSummary;

  beforeAll(async () => {
    lake = await mkdtemp(join(tmpdir(), 'eventlake-e2e-'));
    const gen = await cli(lake, 'generate', '--events', '6000', '--start', '2024-04-07T22:00:00Z', '--hours', '4', '--seed', '11', '--duplicates', '0.02', '--malformed', '0.01');
    expect(gen.code).toBe(0);
    generated = JSON.parse(gen.out) as GenerateSummary;
    const result = await cli(lake, 'run', '--json');
    expect(result.code).toBe(0);
    first = JSON.parse(result.out) as RunSummary;
  });
  afterAll(() => rm(lake, { recursive: true, force: true }));

  it('prints the summary with every key of docs/contract.md §10 on stdout', () => {
    for (const key of ['batch_id', 'objects_read', 'lines_read', 'blank_lines', 'inserted', 'duplicates_in_batch', 'duplicates_existing', 'quarantined', 'quarantined_by_reason', 'enriched']) {
      expect(first).toHaveProperty(key);
    }
    expect(first.status).toBe('committed');
  });

  it('accounts for every generated line (the conservation law)', () => {
    expect(first.lines_read).toBe(generated.lines);
    expect(first.objects_read).toBe(generated.objects);
    expect(first.inserted + first.duplicates_in_batch + first.duplicates_existing + first.quarantined + first.blank_lines).toBe(first.lines_read);
  });

  it('matches the generator ground truth: inserted, duplicates, quarantine reasons, enrichment', () => {
    expect(first.inserted).toBe(generated.expected.inserted);
    expect(first.duplicates_in_batch).toBe(generated.exactDuplicates);
    expect(first.blank_lines).toBe(generated.blankLines);
    expect(first.quarantined).toBe(generated.expected.quarantined);
    expect(first.quarantined_by_reason).toEqual(generated.malformedByReason);
    expect(first.enriched).toBe(generated.expected.enrichment.enriched);
    expect(first.no_account).toBe(generated.expected.enrichment.no_account);
    expect(first.no_subscription).toBe(generated.expected.enrichment.no_subscription);
  });

  it('queries the curated table: partitions by type and UTC date, ISO timestamps with Z', async () => {
    const result = await cli(lake, 'query', 'SELECT event_date, count(*) AS n, min(created_datetime) AS first FROM events GROUP BY 1 ORDER BY 1', '--format', 'json');

    expect(result.code).toBe(0);
    const rows = JSON.parse(result.out) as { event_date: string; n: number; first: string }[];
    expect(rows.map((r) => r.event_date)).toEqual(['2024-04-07', '2024-04-08']);
    expect(rows.reduce((s, r) => s + r.n, 0)).toBe(generated.expected.inserted);
    expect(rows[0]?.first).toMatch(/^2024-04-07T22:\d\d:\d\d\.\d{6}Z$/);
  });

  it('queries the quarantine with reasons, source key and line number', async () => {
    const result = await cli(lake, 'query', 'SELECT reason, source_key, line_no FROM quarantine ORDER BY source_key, line_no LIMIT 3', '--format', 'csv');

    expect(result.code).toBe(0);
    const [header, row] = result.out.split('\n');
    expect(header).toBe('reason,source_key,line_no');
    expect(row).toMatch(/^[a-z_]+,raw\/2024\/04\/0[78]\/\d\d\/.+\.gz,\d+$/);
  });

  it('a second run finds nothing to do, exits 0, and status shows the checkpoint', async () => {
    const again = await cli(lake, 'run', '--json');
    const status = await cli(lake, 'status', '--json');

    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ status: 'nothing_to_do' });
    expect(JSON.parse(status.out)).toMatchObject({
      checkpoint: { last_batch_id: first.batch_id, pending_batch_id: null },
      raw_objects: generated.objects,
      raw_objects_unprocessed: 0,
      curated_rows: generated.expected.inserted,
      quarantined_rows: generated.expected.quarantined,
    });
  });

  it('exits 3 with a one-line reason when another run holds the lease', async () => {
    const state = await FileStateStore.open(join(lake, 'state'));
    await state.acquireLease({ name: 'microbatch', owner: 'someone-else', nowMs: Date.now(), ttlMs: 60_000 });
    try {
      const result = await cli(lake, 'run');
      expect(result.code).toBe(3);
      expect(result.err).toMatch(/skipped: another run holds the lease \(someone-else\)/);
    } finally {
      await state.releaseLease('microbatch', 'someone-else');
    }
  });
});

describe('eventlake CLI errors', () => {
  let lake: string;
  beforeAll(async () => {
    lake = await mkdtemp(join(tmpdir(), 'eventlake-cli-'));
    await mkdir(join(lake, 'raw'));
  });
  afterAll(() => rm(lake, { recursive: true, force: true }));

  it.each([
    [['backfill', '--from', '2024-04-07'], /required option '--to <date>' not specified/],
    [['backfill', '--from', '2024-02-30', '--to', '2024-03-01'], /option '--from <date>' argument '2024-02-30' is invalid\. expected a calendar date/],
    [['query', 'SELECT 1', '--format', 'xml'], /option '--format <format>' argument 'xml' is invalid\. Allowed choices are table, csv, json/],
    [['generate', '--events', '0'], /option '--events <n>' argument '0' is invalid\. expected a whole number >= 1/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['run', '--bogus'], /unknown option '--bogus'/],
  ])('%j exits 2 and says what to fix', async (args, message) => {
    const result = await cli(lake, ...args);

    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(result.out).toBe('');
  });

  it('a SQL error exits 1 naming the problem', async () => {
    const result = await cli(lake, 'query', 'SELECT nope FROM events');

    expect(result.code).toBe(1);
    expect(result.err).toMatch(/EventLake\.SqlError: .*nope/);
  });
});

describe('bin/eventlake.js (what npm start runs)', () => {
  it('runs demo end to end in a fresh lake: summary and two analyst queries on stdout', async () => {
    const lake = await mkdtemp(join(tmpdir(), 'eventlake-demo-'));
    try {
      const { stdout, stderr } = await run(process.execPath, [join(__dirname, '..', '..', 'bin', 'eventlake.js'), 'demo', '--events', '3000', '--lake', lake], {
        maxBuffer: 16 * 1024 * 1024,
      });

      expect(stdout).toMatch(/batch [0-9a-f]{32} \(scheduled\) committed/);
      expect(stdout).toContain('-- sql/queries/events_per_type_per_day.sql');
      expect(stdout).toContain('-- sql/queries/lessons_by_subscription.sql');
      expect(stderr).toMatch(/generating 3000 events/);
      expect(stderr).toMatch(/→ MergeGroups/);
    } finally {
      await rm(lake, { recursive: true, force: true });
    }
  });
});
