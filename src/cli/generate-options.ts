import type { GenerateOptions } from '../generator/generate';
import type { GenerateFlags } from './main';

/** The generator's options from the parsed flags of `generate`, `demo` and `produce`. */
export function generateOptions(flags: GenerateFlags, progress: (message: string) => void): GenerateOptions {
  return {
    events: flags.events,
    start: flags.start ?? new Date(Date.now() - flags.hours * 3_600_000),
    hours: flags.hours,
    seed: flags.seed,
    duplicateRate: flags.duplicates,
    malformedRate: flags.malformed,
    gzip: !flags.plain,
    onProgress: (p) => progress(`generated ${p.events} events in ${p.objects} objects`),
  };
}
