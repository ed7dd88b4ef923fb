#!/usr/bin/env node
// Entry point: registers tsx (esbuild) to load the TypeScript sources, then runs the CLI.
// The AWS SDK warns once per process on Node < 22 that its releases after January 2027 will need Node 22
// (README "CLI": which Node versions work). eventlake states its engines itself, so the CLI says it once there.
if (process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED === undefined) process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
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
