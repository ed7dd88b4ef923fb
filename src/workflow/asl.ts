import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors';
import { ASL_FILE } from './registry';

export type AslDefinition = { StartAt: string; States: Record<string, unknown> } & Record<string, unknown>;

const PLACEHOLDER = /\$\{([A-Za-z0-9]+)\}/g;

/** The text of a state machine definition of state-machines/ (the micro-batch's by default). */
export function readAslText(file: string = ASL_FILE): string {
  return readFileSync(join(__dirname, '..', '..', file), 'utf8');
}

/** Every `${Name}` placeholder in the ASL file. */
export function aslPlaceholders(text = readAslText()): Set<string> {
  return new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1] as string));
}

/**
 * Parses the ASL and substitutes placeholders inside string values (as Step Functions'
 * DefinitionSubstitutions do), so substituted text never needs JSON escaping. Every placeholder must
 * be given and every substitution must be used.
 */
export function loadAsl(substitutions: Readonly<Record<string, string>>, file: string = ASL_FILE): AslDefinition {
  const text = readAslText(file);
  const used = aslPlaceholders(text);
  const missing = [...used].filter((name) => !(name in substitutions));
  const unused = Object.keys(substitutions).filter((name) => !used.has(name));
  if (missing.length > 0 || unused.length > 0) {
    throw new ConfigError(`${file}: placeholders without substitution [${missing.join(', ')}], substitutions without placeholder [${unused.join(', ')}]`);
  }
  const substitute = (value: unknown): unknown => {
    if (typeof value === 'string') return value.replace(PLACEHOLDER, (_m, name: string) => substitutions[name] as string);
    if (Array.isArray(value)) return value.map(substitute);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v)]));
    }
    return value;
  };
  return substitute(JSON.parse(text)) as AslDefinition;
}

export type AslState = Record<string, unknown> & { Type: string };

/** Every state of a definition by name, the states of Map iterators included. */
export function allStates(definition: { States: Record<string, unknown> }): Map<string, AslState> {
  const found = new Map<string, AslState>();
  const walk = (states: Record<string, unknown>) => {
    for (const [name, state] of Object.entries(states as Record<string, AslState>)) {
      found.set(name, state);
      const processor = state.ItemProcessor as { States: Record<string, unknown> } | undefined;
      if (processor) walk(processor.States);
    }
  };
  walk(definition.States);
  return found;
}
