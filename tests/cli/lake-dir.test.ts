import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './helpers';

describe('--lake: only generate and demo create a lake', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventlake-lakedir-'));
    await writeFile(join(dir, 'a-file'), 'not a lake');
    await mkdir(join(dir, 'empty'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each([
    ['status', []],
    ['run', []],
    ['backfill', ['--from', '2024-04-01', '--to', '2024-04-02']],
    ['query', ['SELECT 1']],
    ['retain', []],
    ['retain', ['--dry-run']],
  ])('%s refuses a lake that does not exist (exit 2, says what to do, creates nothing)', async (command, args) => {
    const lake = join(dir, 'typo', 'deeper', 'lake');
    const result = await cli(command, ...args, '--lake', lake);

    expect(result.code).toBe(2);
    expect(result.err).toContain(`eventlake: no lake at ${lake}: run \`eventlake generate --lake ${lake}\` first, or pass --lake`);
    expect(result.out).toBe('');
    expect(existsSync(join(dir, 'typo'))).toBe(false);
  });

  it('refuses a folder that holds no lake (no raw/ or state/)', async () => {
    const result = await cli('status', '--lake', join(dir, 'empty'));

    expect(result.code).toBe(2);
    expect(result.err).toContain(`no lake at ${join(dir, 'empty')} (the folder has no raw/ or state/)`);
  });

  it.each([['status'], ['run'], ['generate', '--events', '10'], ['demo', '--events', '10']])('%s --lake <a file> is a usage error', async (...args) => {
    const result = await cli(...args, '--lake', join(dir, 'a-file'));

    expect(result.code).toBe(2);
    expect(result.err).toContain(`eventlake: --lake ${join(dir, 'a-file')}: ${join(dir, 'a-file')} is not a directory`);
  });

  it('generate creates a missing lake, nested folders included; status then reads it', async () => {
    const lake = join(dir, 'new', 'lake');
    const generated = await cli('generate', '--events', '200', '--start', '2024-04-07T00:00:00Z', '--hours', '1', '--lake', lake);
    const status = await cli('status', '--json', '--lake', lake);

    expect(generated.code).toBe(0);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out)).toMatchObject({ raw_objects_unprocessed: expect.any(Number) as number, curated_rows: 0 });
  });
});
