import { generate } from '../generator/generate';
import { generateOptions } from './generate-options';
import { hasObject } from '../ports/object-store';
import { openLocalLake, type LocalLake } from '../runtime/local-lake';
import type { RunSummary } from '../pipeline/run-summary';
import { ExitCode, type CliIo } from './io';
import { checkExistingLake, checkNewLake } from './lake-dir';
import { formatRows } from './format';
import { runUntilDrained, type RunRequest } from './commands/run';
import { queryLake } from './commands/query';
import { humanStatus, lakeStatus } from './commands/status';
import { localQuery } from './query/local-query';
import { readSavedSql } from './query/sql-source';
import { sweepOrphanTempFiles } from '../adapters/local/temp-sweep';
import { compact } from '../pipeline/compact';
import { forget } from '../pipeline/forget';
import { retain } from '../pipeline/retain';
import { lakeRetention } from './retention-config';
import { humanRetainReport, modifiedAtMs } from './commands/retain';
import type { BackfillFlags, CompactFlags, ForgetFlags, GenerateFlags, LakeFlags, QueryFlags, ReplayFlags, RetainFlags, RunFlags, StatusFlags } from './main';

type Progress = (message: string) => void;

/** Opens the lake of --lake: `create` for generate and demo, else it must exist (src/cli/lake-dir.ts). */
async function withLake<T>(flags: LakeFlags, progress: Progress | undefined, work: (lake: LocalLake) => Promise<T>, create = false): Promise<T> {
  if (create) await checkNewLake(flags.lake);
  else await checkExistingLake(flags.lake);
  const lake = await openLocalLake(flags.lake, progress ? { progress } : {});
  try {
    return await work(lake);
  } finally {
    await lake.close();
  }
}

export function generateCommand(io: CliIo, flags: GenerateFlags & LakeFlags, progress: Progress): Promise<number> {
  return withLake(flags, progress, async (lake) => {
    io.out(JSON.stringify(await generate(lake.objects, generateOptions(flags, progress))));
    return ExitCode.ok;
  }, true);
}

export function runCommand(io: CliIo, flags: RunFlags, progress: Progress): Promise<number> {
  return withLake(flags, progress, async (lake) => (await runUntilDrained(io, lake, { mode: 'scheduled' }, flags.json === true)).code);
}

export function backfillCommand(io: CliIo, flags: BackfillFlags, progress: Progress): Promise<number> {
  return withLake(flags, progress, async (lake) => (await runUntilDrained(io, lake, { mode: 'backfill', from: flags.from, to: flags.to }, flags.json === true)).code);
}

/** `replay`: replay batches until every selected quarantine object was read, under the run lease (held: exit 3). */
export function replayCommand(io: CliIo, flags: ReplayFlags, progress: Progress): Promise<number> {
  const request: RunRequest = {
    mode: 'replay',
    ...(flags.from !== undefined ? { from: flags.from } : {}),
    ...(flags.to !== undefined ? { to: flags.to } : {}),
    ...(flags.reason !== undefined ? { reason: flags.reason } : {}),
    ...(flags.transform !== undefined ? { transform: flags.transform } : {}),
  };
  return withLake(flags, progress, async (lake) => (await runUntilDrained(io, lake, request, flags.json === true)).code);
}

export async function queryCommand(io: CliIo, sql: string, flags: QueryFlags): Promise<number> {
  await checkExistingLake(flags.lake);
  return localQuery(io, sql, flags);
}

export function statusCommand(io: CliIo, flags: StatusFlags): Promise<number> {
  return withLake(flags, undefined, async (lake) => {
    const status = await lakeStatus(lake);
    io.out(flags.json ? JSON.stringify(status) : humanStatus(status));
    return ExitCode.ok;
  });
}

/** `compact`: under the run lease (held: exit 3, like `run`); a report on stdout (JSON with --json). */
export function compactCommand(io: CliIo, flags: CompactFlags, progress: Progress): Promise<number> {
  return withLake(flags, progress, async (lake) => {
    const swept = await sweepOrphanTempFiles(lake.root, ['curated']);
    if (swept.length > 0) progress(`removed ${swept.length} temporary files left by a killed writer`);
    const report = await compact(lake, { from: flags.from, to: flags.to, targetBytes: flags.targetMib * 1024 * 1024 });
    if (flags.json) io.out(JSON.stringify(report));
    if (report.status === 'skipped') io.err(`compact skipped: another run holds the lease (${report.holder ?? 'unknown'})`);
    else if (!flags.json) io.out(`compacted ${report.partitions_compacted} of ${report.partitions_scanned} partitions: ${report.files_before} files -> ${report.files_after} (target ${flags.targetMib} MiB)`);
    return report.status === 'skipped' ? ExitCode.skipped : ExitCode.ok;
  });
}

/**
 * `forget --user`: under the run lease (held: exit 3); a report on stdout (JSON with --json) that names the
 * erasure record by its salted hash, never the user id.
 */
export function forgetCommand(io: CliIo, flags: ForgetFlags, progress: Progress): Promise<number> {
  return withLake(flags, progress, async (lake) => {
    const swept = await sweepOrphanTempFiles(lake.root, ['curated', 'erasures']);
    if (swept.length > 0) progress(`removed ${swept.length} temporary files left by a killed writer`);
    const report = await forget(lake, flags.user);
    if (flags.json) io.out(JSON.stringify(report));
    if (report.status === 'skipped') {
      io.err(`forget skipped: another run holds the lease (${report.holder ?? 'unknown'}); nothing was removed`);
      return ExitCode.skipped;
    }
    if (!flags.json) {
      const r = report.removed;
      io.out(
        report.status === 'nothing_to_do'
          ? `nothing to do: this user was forgotten at ${report.completed_at ?? '?'} and nothing of theirs is left (record erasures/log/${report.user_hash ?? '?'}.json)`
          : `forgot the user: ${r.curated_rows} rows in ${r.curated_partitions} partitions, ${r.quarantine_lines} quarantined lines, ` +
              `${r.state_entities} state entities, ${r.staging_rows} staged rows (record erasures/log/${report.user_hash ?? '?'}.json)`,
      );
    }
    return ExitCode.ok;
  });
}

/**
 * `retain`: removes what is past each area's retention, under the run lease (held: exit 3, like `run`);
 * `--dry-run` removes nothing and takes no lease. A report on stdout (JSON with --json).
 */
export function retainCommand(io: CliIo, flags: RetainFlags, progress: Progress): Promise<number> {
  return withLake(flags, progress, async (lake) => {
    const { retention, source } = await lakeRetention(lake.objects, lake.config.dedupHorizonDays, {
      raw: flags.rawDays,
      staging: flags.stagingDays,
      quarantine: flags.quarantineDays,
      curated: flags.curatedDays,
    });
    progress(`retention from ${source}`);
    const report = await retain(lake, { retention, dryRun: flags.dryRun === true, modifiedAtMs: modifiedAtMs(lake.objects) });
    if (flags.json) io.out(JSON.stringify({ ...report, retention_source: source }));
    if (report.status === 'skipped') io.err(`retain skipped: another run holds the lease (${report.holder ?? 'unknown'})`);
    else if (!flags.json) io.out(humanRetainReport(report));
    return report.status === 'skipped' ? ExitCode.skipped : ExitCode.ok;
  });
}

export function demoCommand(io: CliIo, flags: GenerateFlags & LakeFlags, progress: Progress): Promise<number> {
  return withLake(flags, progress, async (lake) => {
    if (await hasObject(lake.objects, 'raw/')) {
      progress(`${lake.root}/raw already has objects: running the schedule over what is new`);
    } else {
      const options = generateOptions(flags, progress);
      progress(`generating ${options.events} events over ${options.hours} h (1/100 of 1M events/hour) into ${lake.root}/raw`);
      await generate(lake.objects, options);
    }
    const started = Date.now();
    const { code, last } = await runUntilDrained(io, lake, { mode: 'scheduled' }, false);
    if (code !== ExitCode.ok || last === undefined) return code;
    const summary = last.output as unknown as RunSummary;
    const seconds = (Date.now() - started) / 1000;
    if (summary.lines_read > 0) progress(`${summary.lines_read} lines in ${seconds.toFixed(1)} s (${Math.round(summary.lines_read / seconds)} lines/s)`);
    for (const name of ['events_per_type_per_day', 'lessons_by_subscription']) {
      io.out(`\n-- sql/queries/${name}.sql\n${formatRows(await queryLake(lake, readSavedSql(name)), 'table')}`);
    }
    io.out(`\nTry: npx eventlake query "SELECT reason, count(*) FROM quarantine GROUP BY 1" --lake ${flags.lake}`);
    return ExitCode.ok;
  }, true);
}
