export { generate, type ExpectedOutcome, type GenerateOptions, type GenerateSummary, type GeneratedEvent } from './generate';
export { EVENT_CATALOG, EVENT_NAMES } from './catalog';
export { MALFORMED_CLASSES } from './malformed';
export { Prng } from './prng';
