// Slice worker process entry (forked by worker-pool.ts): load the TypeScript sources through tsx, then serve slice tasks.
require('tsx/cjs');
require('./slice-worker-main.ts');
