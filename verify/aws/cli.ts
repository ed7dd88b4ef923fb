import { parseArgs } from 'node:util';
import { verifyAws } from './verify-aws';

/**
 * `npm run verify:aws [-- --events N] [--backlog-objects N] [--json]`: the offline AWS proof at full size
 * (tests/verify/verify-aws.test.ts runs it small in `npm test`). Exit 0 only when the run committed, no
 * call was denied, no grant went unused unexplained, no payload passed 256 KiB and parity holds.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '20000' },
      'backlog-objects': { type: 'string', default: '100000' },
      json: { type: 'boolean', default: false },
    },
  });
  // The Lambdas log to stdout (CloudWatch Logs on AWS): here that goes to stderr, so stdout is the report alone.
  console.log = (...args: unknown[]) => process.stderr.write(`${args.map(String).join(' ')}\n`);
  const started = Date.now();
  const progress = (m: string) => process.stderr.write(`[verify:aws ${((Date.now() - started) / 1000).toFixed(1)}s] ${m}\n`);
  const report = await verifyAws({ events: Number(values.events), backlogObjects: Number(values['backlog-objects']), progress });
  const { details, ...figures } = report;
  if (values.json) process.stdout.write(`${JSON.stringify(figures)}\n`);
  else process.stdout.write(`${JSON.stringify({ ...figures, details }, null, 2)}\n`);
  const ok =
    report.iam_denied === 0 && report.iam_unused_grants === 0 && details.unknown_actions.length === 0 && report.parity && report.backlog_max_state_payload_bytes <= 262_144;
  if (!ok) process.stderr.write(`verify:aws FAILED: ${JSON.stringify({ denied: details.denied, unused: details.unused_grants, unknown: details.unknown_actions, parity: details.parity_problems })}\n`);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`verify:aws failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
