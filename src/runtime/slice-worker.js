// Worker-thread entry: load the TypeScript sources through tsx, then serve slice tasks.
require('tsx/cjs');
require('./slice-worker-main.ts');
