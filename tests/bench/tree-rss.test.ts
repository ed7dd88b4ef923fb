import { spawn } from 'node:child_process';
import { treeRssMib } from '../../bench/tree-rss';

/** The bench's peak RSS counts the slice worker processes: memory held by a child shows in the tree's sum. */
describe('treeRssMib', () => {
  it('counts the memory of a child process, and stops counting it once the child is gone', async () => {
    const before = treeRssMib();
    // A child that touches 200 MiB, says so, and waits to be killed.
    const child = spawn(process.execPath, ['-e', "const b = Buffer.alloc(200 * 1048576, 1); process.stdout.write('ready'); setInterval(() => b[0]++, 1000);"], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      const withChild = treeRssMib();
      expect(withChild - before).toBeGreaterThan(180);
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    expect(treeRssMib() - before).toBeLessThan(100);
  });
});
