/**
 * created_datetime and event_date must not depend on the process time zone. Jest gives each test file its own
 * copy of process.env, so setting TZ in a test would not reach Node: each zone runs in a child node process
 * started with TZ set, which first reports its offset to prove the zone took effect.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const helper = path.join(__dirname, '..', 'fixtures', 'contract', 'print-timestamps.ts');

interface HelperOutput {
  readonly offsetMinutes: number;
  readonly results: readonly unknown[];
}

function runUnderZone(zone: string, createdAts: readonly number[]): HelperOutput {
  const child = spawnSync(process.execPath, ['--import', 'tsx', helper, ...createdAts.map(String)], {
    cwd: path.join(__dirname, '..', '..'),
    env: { ...process.env, TZ: zone },
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (child.status !== 0) throw new Error(`helper failed under TZ=${zone}: ${child.stderr}`);
  return JSON.parse(child.stdout) as HelperOutput;
}

describe.each([
  ['America/Los_Angeles', 420],
  ['Asia/Kolkata', -330],
])('under TZ=%s', (zone, offsetMinutes) => {
  it('derives UTC times and UTC dates around midnight UTC', () => {
    // Prepare: 23:30Z is already the 8th in Kolkata; 00:10Z on the 8th is still the 7th in Los Angeles
    const createdAts = [1712532600.25, 1712535000, 1712511721.022075];

    // Act
    const output = runUnderZone(zone, createdAts);

    // Assess
    expect(output).toEqual({
      offsetMinutes,
      results: [
        { created_datetime: '2024-04-07T23:30:00.250000Z', event_date: '2024-04-07' },
        { created_datetime: '2024-04-08T00:10:00.000000Z', event_date: '2024-04-08' },
        { created_datetime: '2024-04-07T17:42:01.022075Z', event_date: '2024-04-07' },
      ],
    });
  });
});
