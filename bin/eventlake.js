#!/usr/bin/env node
// Entry point: registers tsx (esbuild) to load the TypeScript sources, then runs the CLI.
require('tsx/cjs');
const { main } = require('../src/cli/main.ts');
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`eventlake: ${error && error.stack ? error.stack : error}\n`);
    process.exitCode = 1;
  },
);
