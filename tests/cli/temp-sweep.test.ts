import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/io';

const quiet: CliIo = { out: () => undefined, err: () => undefined };

describe('no temporary file outlives a rerun (issue 7)', () => {
  let lake: string;
  beforeEach(async () => {
    lake = await mkdtemp(join(tmpdir(), 'eventlake-sweep-'));
  });
  afterEach(() => rm(lake, { recursive: true, force: true }));

  it("removes a killed writer's temporary files at the next run and leaves a live writer's alone", async () => {
    const child = execFile(process.execPath, ['-e', '']);
    await new Promise((resolve) => child.on('exit', resolve));
    const folder = join(lake, 'curated', 'events', 'event_type=app', 'event_date=2024-04-07');
    await mkdir(folder, { recursive: true });
    const orphan = join(folder, `.eventlake-tmp-part.parquet.${child.pid}.0123456789ab`);
    const live = join(lake, 'state', `.eventlake-tmp-checkpoint.json.${process.ppid}.0123456789ab`);
    await mkdir(join(lake, 'state'), { recursive: true });
    await writeFile(orphan, 'half a file');
    await writeFile(live, 'being written');

    expect(await main(['run', '--lake', lake], quiet)).toBe(0);

    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });
});
