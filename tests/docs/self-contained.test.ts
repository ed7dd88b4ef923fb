import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The repository's documentation is self-contained: a user who clones it can read every document a file
 * points to. No file may name the team's design notes that live outside the repository, and every link to
 * a markdown file (README.md, docs/*.md) or mention of `docs/<name>.md` (in docs and source comments)
 * must reach a file that exists, and the section it names (`#anchor` or `§N`) must exist in it.
 *
 * The forbidden names are assembled from pieces so this file does not mention them itself.
 */
const REPO_ROOT = resolve(__dirname, '../..');
const FORBIDDEN: readonly string[] = [
  ['..', 'shared'].join('/'),
  ['PRODUCT', 'md'].join('.'),
  ['RELIABILITY', 'md'].join('.'),
  ['STYLE', 'md'].join('.'),
];

/** Tracked files and untracked files git does not ignore, relative to the repository root. */
function repositoryFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return out
    .split('\0')
    .filter((file) => file !== '' && !/^(node_modules|\.git)(\/|$)/.test(file))
    .filter((file) => existsSync(join(REPO_ROOT, file)) && statSync(join(REPO_ROOT, file)).isFile())
    .sort();
}

/** The file's text, or null for a binary file (a NUL byte) such as a gzip fixture. */
function textOf(file: string): string | null {
  const bytes = readFileSync(join(REPO_ROOT, file));
  return bytes.includes(0) ? null : bytes.toString('utf8');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_~]/g, (c) => (c === '_' ? '_' : ''))
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Text outside fenced code blocks. */
function withoutFences(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

interface Targets {
  readonly anchors: ReadonlySet<string>;
  /** Section numbers of headings written `## 4. Title`. */
  readonly sections: ReadonlySet<string>;
}

const targetCache = new Map<string, Targets>();

/** The anchors (heading slugs, `id="..."` attributes) and numbered sections of a markdown file. */
function targetsOf(file: string): Targets {
  const cached = targetCache.get(file);
  if (cached !== undefined) return cached;
  const text = withoutFences(readFileSync(join(REPO_ROOT, file), 'utf8'));
  const anchors = new Set<string>();
  const sections = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, title] of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(title!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
    const number = /^(\d+)\./.exec(title!);
    if (number !== null) sections.add(number[1]!);
  }
  for (const [, id] of text.matchAll(/\b(?:id|name)="([^"]+)"/g)) anchors.add(id!);
  const targets = { anchors, sections };
  targetCache.set(file, targets);
  return targets;
}

/** What is wrong with a reference to `target` (a repository path) and its anchor or section, if anything. */
function brokenTarget(
  target: string,
  anchor: string | undefined,
  section: string | undefined,
): string | null {
  if (!existsSync(join(REPO_ROOT, target))) return `${target} does not exist`;
  if (!target.endsWith('.md')) return null;
  const { anchors, sections } = targetsOf(target);
  if (anchor !== undefined && anchor !== '' && !anchors.has(anchor))
    return `${target} has no anchor #${anchor}`;
  if (section !== undefined && !sections.has(section)) return `${target} has no section §${section}`;
  return null;
}

const files = repositoryFiles();
const texts = new Map<string, string>();
for (const file of files) {
  const text = textOf(file);
  if (text !== null) texts.set(file, text);
}

describe('the repository is self-contained', () => {
  test('the file list is the repository (sanity)', () => {
    expect(files).toContain('README.md');
    expect(files).toContain('tests/docs/self-contained.test.ts');
    expect(files.some((f) => f.startsWith('node_modules'))).toBe(false);
  });

  test('no file names the design notes kept outside the repository', () => {
    // Prepare / Act
    const hits: string[] = [];
    for (const [file, text] of texts) {
      text.split('\n').forEach((line, index) => {
        for (const name of FORBIDDEN) {
          if (line.includes(name)) hits.push(`${file}:${index + 1}: ${name}`);
        }
      });
    }

    // Assess
    expect(hits).toEqual([]);
  });

  test('every markdown link to a repository file reaches an existing file and anchor', () => {
    // Prepare
    const markdown = [...texts.keys()].filter((f) => f.endsWith('.md'));
    expect(markdown).toContain('docs/decisions.md');

    // Act
    const broken: string[] = [];
    for (const file of markdown) {
      const text = withoutFences(texts.get(file)!);
      for (const [, href] of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(href!)) continue; // https:, mailto:
        const [path, anchor] = href!.split('#') as [string, string | undefined];
        const target = path === '' ? file : relative(REPO_ROOT, resolve(REPO_ROOT, dirname(file), path));
        const problem = brokenTarget(target, anchor, undefined);
        if (problem !== null) broken.push(`${file}: (${href}): ${problem}`);
      }
    }

    // Assess
    expect(broken).toEqual([]);
  });

  test('every mention of docs/<name>.md (with its #anchor or §section) names an existing document', () => {
    // Act
    const broken: string[] = [];
    for (const [file, text] of texts) {
      if (file === 'tests/docs/self-contained.test.ts') continue;
      text.split('\n').forEach((line, index) => {
        for (const m of line.matchAll(/(?<![\w./-])docs\/([\w.-]+?\.md)(?:#([\w-]+)|\s*§\s?(\d+))?/g)) {
          const problem = brokenTarget(`docs/${m[1]!}`, m[2], m[3]);
          if (problem !== null) broken.push(`${file}:${index + 1}: ${m[0]}: ${problem}`);
        }
      });
    }

    // Assess
    expect(broken).toEqual([]);
  });
});
