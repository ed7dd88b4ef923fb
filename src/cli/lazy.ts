/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * The command implementations load only when a command runs: DuckDB, the state machine interpreter and
 * the AWS SDK take over a second to load, and `eventlake --help`, `--version` or a usage error need none
 * of them. (`require`, not `import()`: bin/eventlake.js registers tsx for CommonJS only.)
 */
export const localCommands = () => require('./local-commands') as typeof import('./local-commands');
export const awsCommands = () => require('./aws-commands') as typeof import('./aws-commands');
