import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CHILD = join(__dirname, 'fixtures', 'slice-memory-child.ts');
/** What one slice worker may use, whatever the number of lines in its slice (Node itself included). */
const BUDGET_MIB = 512;

interface ChildReport {
  readonly gzipBytes: number;
  readonly slices: number;
  readonly validation: { lines_read: number; quarantined: number; staged_final: number; state_versions: number };
  readonly enrichment: { lessons: number };
  readonly peakRssMiB: number;
}

/** Runs one slice in a process of its own, so its peak RSS is the slice's alone. */
async function runSlice(kind: string): Promise<{ report: ChildReport; files: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), `eventlake-slice-memory-${kind}-`));
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, dir, kind], { maxBuffer: 1 << 20 });
    const files: string[] = [];
    for (const prefix of ['quarantine', 'staging/staged']) {
      for (const batch of await readdir(join(dir, prefix))) files.push(...(await readdir(join(dir, prefix, batch))).map((f) => `${prefix}/${f}`));
    }
    return { report: JSON.parse(stdout) as ChildReport, files };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// Reliability finding 8: memory grew with the number of short lines (about 1 KiB of RSS per line: a 2 KB
// gzip of 1M junk lines took 1,238 MiB). Outputs now go out a part at a time (src/pipeline/part-writer.ts).
describe('a slice of any number of short lines runs within a fixed memory budget', () => {
  it('1M junk lines from a 2 KB gzip: every line quarantined, in parts, within the budget', async () => {
    const { report, files } = await runSlice('junk');

    expect(report.gzipBytes).toBeLessThan(4096);
    expect(report.slices).toBe(1);
    expect(report.validation.lines_read).toBe(1_000_000);
    expect(report.validation.quarantined).toBe(1_000_000);
    // ~360 MB of quarantine records leave the slice as several part objects, never as one buffer.
    expect(files.filter((f) => f.startsWith('quarantine/')).length).toBeGreaterThan(5);
    expect(report.peakRssMiB).toBeLessThan(BUDGET_MIB);
  }, 180_000);

  it('300k copies of one valid account line: staged and applied to user state within the budget', async () => {
    const { report } = await runSlice('duplicates');

    expect(report.validation.lines_read).toBe(300_000);
    expect(report.validation.staged_final).toBe(300_000);
    expect(report.validation.state_versions).toBe(300_000);
    expect(report.peakRssMiB).toBeLessThan(BUDGET_MIB);
  }, 180_000);
});
