import type { Readable } from 'node:stream';
import { QUARANTINE_REASONS, type QuarantineReason } from '../contract/reasons';
import { toQuarantineRecord } from '../contract/quarantine-record';
import { validateLine } from '../contract/validate-line';
import { readObjectLines } from '../raw/read-object';
import { UnreadableObjectError } from '../raw/errors';
import { classifyRawObject, vanishedObject, type PoisonObject } from '../raw/classify';
import { ObjectNotFoundError } from '../errors';
import type { ObjectInfo, ObjectStore } from '../ports/object-store';
import type { VersionWrite } from '../ports/state-store';
import { Layout } from '../ports/layout';
import type { PipelineDeps } from './deps';
import { PartWriter } from './part-writer';
import type { BatchTotals } from './payloads';
import { arrivalHourMs, readManifest } from './manifest';
import { needsEnrichment, STAGED_PARTS, stagedValuesOf } from './staged-row';
import { versionWriteFor } from './user-state';
import { replayLines } from './replay-source';
import { replayTransform } from '../contract/replay-transforms';

export interface SliceRef {
  readonly batch_id: string;
  readonly slice: number;
}

/** What validation counts, per slice and (added up by SummarizeSlices) per batch: the batch totals' own fields. */
export type ValidationCounts = Omit<BatchTotals, 'slices' | 'staged_rows' | 'horizon_from' | 'horizon_to'>;

export interface SliceValidation extends ValidationCounts {
  readonly slice: number;
  readonly staged_final: number;
  readonly staged_lessons: number;
  readonly state_versions: number;
}

const HOUR_MS = 3_600_000;
/** How many bytes of an unreadable object the quarantine keeps. */
const OBJECT_SAMPLE_BYTES = 64 * 1024;

/**
 * Pass 1 over one slice of raw objects: every line becomes a staged row, a quarantine record or a blank.
 * Account/subscription events go to the state store as point-in-time versions. An object that cannot be
 * read (bad gzip) is rolled back and quarantined whole, counting one line; so is a poison object (a key
 * that cannot be used, not a regular file, gone since planning: src/raw/classify.ts), which is never
 * opened. Outputs have deterministic keys, so a retried slice overwrites its own files (and removes
 * parts a longer earlier attempt left: part-writer.ts).
 */
export async function validateSlice(deps: PipelineDeps, ref: SliceRef): Promise<SliceValidation> {
  const manifest = await readManifest(deps.objects, Layout.manifest(ref.batch_id));
  const range = manifest.slices[ref.slice];
  if (!range) throw new RangeError(`batch ${ref.batch_id} has no slice ${ref.slice}`);
  const quarantinedAt = manifest.planned_at;
  const plannedMs = Date.parse(manifest.planned_at);

  const out = {
    final: new PartWriter(deps.objects, Layout.stagedFinal(ref.batch_id, ref.slice), deps.config.partMaxBytes, STAGED_PARTS),
    lessons: new PartWriter(deps.objects, Layout.stagedLessons(ref.batch_id, ref.slice), deps.config.partMaxBytes, STAGED_PARTS),
    quarantine: new PartWriter(deps.objects, Layout.quarantineSlice(ref.batch_id, ref.slice), deps.config.partMaxBytes),
    // Spilled while the objects are read, applied once every object of the slice was read whole.
    versions: new PartWriter(deps.objects, Layout.stateVersions(ref.batch_id, ref.slice), deps.config.partMaxBytes),
  };
  const byReason: Record<string, number> = {};
  let linesRead = 0;
  let blank = 0;
  let alreadyQuarantined = 0;
  let reprocessed = false;
  let dateMin = null as string | null;
  let dateMax = null as string | null;

  const quarantine = (reason: QuarantineReason, errors: readonly string[], raw: Buffer, sourceKey: string, lineNo: number | null, rawSizeBytes?: number) => {
    // A raw line (key + line number) is quarantined at most once, whatever reruns and backfills read it again.
    if (reprocessed) {
      alreadyQuarantined++;
      return;
    }
    out.quarantine.push(
      JSON.stringify(
        toQuarantineRecord({ batchId: ref.batch_id, sourceKey, lineNo, reason, errors, raw, quarantinedAt, ...(rawSizeBytes !== undefined ? { rawSizeBytes } : {}) }),
      ),
    );
    byReason[reason] = (byReason[reason] ?? 0) + 1;
  };

  /** One record for a whole object that could not be opened, counted as one line. */
  const quarantinePoison = (object: ObjectInfo, poison: PoisonObject) => {
    linesRead += 1;
    quarantine(poison.reason, [poison.message], Buffer.alloc(0), object.key, null, object.sizeBytes);
    deps.progress(`quarantined ${poison.reason} ${JSON.stringify(object.key)}`);
  };

  // The key of the object being read, encoded once for all its staged rows.
  let keyText = '';
  let keyBytes = Buffer.alloc(0);

  /** One line, whatever it came from: a blank, a quarantine record, or a staged row (+ a user-state version). */
  const handleLine = (bytes: Buffer, sizeBytes: number, sourceKey: string, lineNo: number, arrivalMs: number) => {
    const result = validateLine(bytes, { arrivalMs, isFirstLine: lineNo === 1, sizeBytes });
    if (result.kind === 'blank') {
      blank++;
    } else if (result.kind === 'invalid') {
      quarantine(result.reason, result.errors, bytes, sourceKey, lineNo, sizeBytes);
    } else {
      const event = result.event;
      if (dateMin === null || event.event_date < dateMin) dateMin = event.event_date;
      if (dateMax === null || event.event_date > dateMax) dateMax = event.event_date;
      if (sourceKey !== keyText) {
        keyText = sourceKey;
        keyBytes = Buffer.from(sourceKey, 'utf8');
      }
      const row = stagedValuesOf(event, keyBytes, lineNo);
      if (needsEnrichment(event)) out.lessons.push(row);
      else out.final.push(row);
      const write = versionWriteFor(event);
      if (write) out.versions.push(JSON.stringify(write));
    }
  };

  if (manifest.mode === 'replay') {
    // The lines of quarantine records under their original key and line (replay-source.ts): each was
    // quarantined once already, so one that still fails is counted, never recorded again.
    reprocessed = true;
    for await (const lines of replayLines(deps.objects, manifest, range, replayTransform(manifest.replay?.transform ?? undefined))) {
      for (const line of lines) handleLine(line.bytes, line.sizeBytes, line.sourceKey, line.lineNo, line.arrivalMs);
      linesRead += lines.length;
      for (const writer of Object.values(out)) await writer.flushIfFull();
    }
  }

  for (const object of manifest.mode === 'replay' ? [] : manifest.objects.slice(range.first, range.end)) {
    reprocessed = object.reprocessed === true;
    const poison = classifyRawObject(object);
    if (poison !== undefined) {
      quarantinePoison(object, poison);
      continue;
    }
    let source: Readable;
    try {
      source = await deps.objects.getStream(object.key);
    } catch (error) {
      if (!(error instanceof ObjectNotFoundError)) throw error;
      quarantinePoison(object, vanishedObject(object.key));
      continue;
    }
    const hour = arrivalHourMs(object.key);
    // Arrival is known to the hour from the Firehose prefix; otherwise the plan time stands in.
    const arrivalMs = hour !== undefined ? hour + HOUR_MS : plannedMs;
    const marks = { final: out.final.mark(), lessons: out.lessons.mark(), quarantine: out.quarantine.mark(), versions: out.versions.mark() };
    const counts = { lines: linesRead, blank, reasons: { ...byReason }, dateMin, dateMax, already: alreadyQuarantined };
    let lineNo = 0;
    try {
      for await (const batch of readObjectLines(source)) {
        for (const line of batch) handleLine(line.bytes, line.sizeBytes, object.key, ++lineNo, arrivalMs);
        // Memory stays at one part per stream, whatever the number of lines (part-writer.ts).
        for (const writer of Object.values(out)) await writer.flushIfFull();
      }
      linesRead += lineNo;
    } catch (error) {
      if (!(error instanceof UnreadableObjectError)) throw error;
      await out.final.rollback(marks.final);
      await out.lessons.rollback(marks.lessons);
      await out.quarantine.rollback(marks.quarantine);
      await out.versions.rollback(marks.versions);
      blank = counts.blank;
      alreadyQuarantined = counts.already;
      dateMin = counts.dateMin;
      dateMax = counts.dateMax;
      for (const reason of Object.keys(byReason)) delete byReason[reason];
      Object.assign(byReason, counts.reasons);
      linesRead = counts.lines + 1;
      const sample = await readHead(deps.objects, object.key, OBJECT_SAMPLE_BYTES);
      quarantine('unreadable_object', [`raw object ${JSON.stringify(object.key)}: ${error.message}`], sample, object.key, null, object.sizeBytes);
      deps.progress(`quarantined unreadable object ${object.key}: ${error.message}`);
    }
  }

  const stateVersions = out.versions.length;
  await applyVersions(deps, out.versions);
  await out.final.close();
  await out.lessons.close();
  await out.quarantine.close();

  const quarantined = out.quarantine.length;
  deps.progress(
    `slice ${ref.slice}: ${linesRead} lines, ${out.final.length + out.lessons.length} valid, ${quarantined} quarantined, ${blank} blank`,
  );
  const result: SliceValidation = {
    slice: ref.slice,
    objects: range.end - range.first,
    lines_read: linesRead,
    blank_lines: blank,
    quarantined,
    quarantined_by_reason: sortedReasons(byReason),
    already_quarantined: alreadyQuarantined,
    staged_final: out.final.length,
    staged_lessons: out.lessons.length,
    state_versions: stateVersions,
    date_min: dateMin,
    date_max: dateMax,
  };
  // The counts go to an object, not into the state: a state payload must not grow with the slice count.
  await deps.objects.put(Layout.sliceResult(ref.batch_id, ref.slice), JSON.stringify(result));
  return result;
}

/**
 * How many version writes go to the state store at a time: a slice's memory holds at most this many versions
 * as objects (a few MB), whatever its line count. 20,000 rather than 5,000: a slice of the 1M bench has ~8,000
 * versions, so it now applies them in one call, taking the local state log's lock once (one catch-up on the
 * other worker's lines, one fold per entity, one append and datasync) and no longer losing the lock to the
 * other worker between two chunks. 6 alternating runs at 1M: the slices' time applying versions 5-18% less
 * (2,105-2,458 ms against 2,294-2,981 summed over the slices), the run faster in 5 (docs/performance.md).
 */
export const VERSION_WRITE_CHUNK = 20_000;

/** Applies a slice's spilled user-state versions, a chunk at a time (the state store folds duplicates). */
async function applyVersions(deps: PipelineDeps, spill: PartWriter): Promise<void> {
  let chunk: VersionWrite[] = [];
  for await (const part of spill.contents()) {
    for (const line of part.toString('utf8').split('\n')) {
      if (line === '') continue;
      chunk.push(JSON.parse(line) as VersionWrite);
      if (chunk.length >= VERSION_WRITE_CHUNK) {
        await deps.state.putVersions(chunk);
        chunk = [];
      }
    }
  }
  if (chunk.length > 0) await deps.state.putVersions(chunk);
}

/** The first `maxBytes` of an object (empty if it is gone by now), without reading the rest of it. */
async function readHead(objects: ObjectStore, key: string, maxBytes: number): Promise<Buffer> {
  let stream: Readable;
  try {
    stream = await objects.getStream(key);
  } catch (error) {
    if (error instanceof ObjectNotFoundError) return Buffer.alloc(0);
    throw error;
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    chunks.push(buffer);
    bytes += buffer.length;
    if (bytes >= maxBytes) break; // leaving the loop destroys the stream
  }
  return Buffer.concat(chunks).subarray(0, maxBytes);
}

/** Reasons in the enum's order, so summaries read the same every run. */
export function sortedReasons(counts: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const reason of QUARANTINE_REASONS) if (counts[reason]) out[reason] = counts[reason];
  return out;
}
