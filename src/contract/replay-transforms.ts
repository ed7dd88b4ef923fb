/**
 * The documented fixes a replay may apply to a quarantined line before it is validated again
 * (`eventlake replay --transform NAME`, docs/quarantine.md#replay). Each one is small, named and explicit;
 * no transform runs by default. A transform gets the line's bytes and returns the bytes to validate (and,
 * when they pass, to store as the row's `payload`), or the same bytes when it does not apply to the line.
 * It never drops a field or touches a value: anything else wrong with the line stays wrong.
 */
export interface ReplayTransform {
  readonly name: string;
  /** What it fixes, for `eventlake help replay` and the docs. */
  readonly description: string;
  apply(line: Buffer): Buffer;
}

/**
 * Renames the top-level key `from` to `to` in a JSON object line, when the line has `from` once, written as
 * plain text (`"from"`, no escapes), at the top level and has no `to` key. Only the key's text changes: every other
 * byte of the line (values, order, spacing, numbers as written) stays as it was.
 */
export function renameTopLevelKey(line: Buffer, from: string, to: string): Buffer {
  const text = line.toString('utf8');
  const keys = topLevelKeys(text);
  if (keys === undefined || keys.some((k) => k.name === to)) return line;
  // A key written twice is a duplicate_key defect of its own: renaming one copy would hide it.
  const hits = keys.filter((k) => k.name === from);
  const hit = hits[0];
  if (hits.length !== 1 || hit === undefined || !hit.plain) return line;
  return Buffer.from(`${text.slice(0, hit.start)}${JSON.stringify(to)}${text.slice(hit.end)}`, 'utf8');
}

interface KeyToken {
  /** The decoded key. */
  readonly name: string;
  /** Offsets of the key's string token (quotes included) in the text. */
  readonly start: number;
  readonly end: number;
  /** The token holds no escape: its text is exactly `"name"`. */
  readonly plain: boolean;
}

/** The top-level keys of a JSON object text, with their positions; undefined when the text is not a JSON object. */
function topLevelKeys(text: string): KeyToken[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const keys: KeyToken[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      let plain = true;
      while (text[j] !== '"') {
        if (text[j] === '\\') {
          plain = false;
          j++;
        }
        j++;
      }
      if (depth === 1 && expectKey) {
        keys.push({ name: JSON.parse(text.slice(i, j + 1)) as string, start: i, end: j + 1, plain });
        expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = c === '{' && depth === 1;
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}

/** Every transform `--transform` accepts, by name. */
export const REPLAY_TRANSFORMS: readonly ReplayTransform[] = [
  {
    name: 'rename-event-uid',
    description: 'a sender misspelt the envelope key event_uuid as event_uid: rename it (lines that also have event_uuid are left alone)',
    apply: (line) => renameTopLevelKey(line, 'event_uid', 'event_uuid'),
  },
  {
    name: 'rename-created-at-camel',
    description: 'a sender wrote the envelope key created_at as createdAt: rename it (lines that also have created_at are left alone)',
    apply: (line) => renameTopLevelKey(line, 'createdAt', 'created_at'),
  },
];

export const REPLAY_TRANSFORM_NAMES = REPLAY_TRANSFORMS.map((t) => t.name);

/** The transform named `name`; undefined for no name. Throws on a name that is not in the registry. */
export function replayTransform(name: string | undefined): ReplayTransform | undefined {
  if (name === undefined) return undefined;
  const found = REPLAY_TRANSFORMS.find((t) => t.name === name);
  if (found === undefined) throw new RangeError(`unknown replay transform ${JSON.stringify(name)}: one of ${REPLAY_TRANSFORM_NAMES.join(', ')}`);
  return found;
}
