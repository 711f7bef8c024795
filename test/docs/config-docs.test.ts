/**
 * Every configuration row of README.md and docs/reference.md against the program: the key
 * exists, the flags and environment variables named are exactly those of the CLI's table
 * (src/config/flags.ts), the default is what `check-config` prints for an empty configuration
 * (the words `--help` uses), and reference.md marks exactly the keys a reload cannot apply
 * **restart**. A new flag or key only needs its row in the CLI's table and its key in the
 * schema: the failures below then say which document lacks what.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ENV_VARS, FLAGS } from '../../src/config/flags.js';
import { defaultText } from '../../src/config/help.js';
import { allKeys, keysAt } from '../../src/config/schema.js';
import { normalizeMac } from '../../src/vocabulary.js';
import { RESTART_REQUIRED_KEYS } from '../../src/generation.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** One row of a markdown table whose header has a `key` column, cells by header name. */
interface KeyRow {
  doc: string;
  key: string;
  cells: Record<string, string>;
}

/** Splits a table line into cells; `\|` inside a cell is not a separator. */
const cellsOf = (line: string): string[] => line.trim().replace(/^\||\|$/g, '').split(/(?<!\\)\|/).map((c) => c.trim());

/** Every row of every table in `doc` whose first header cell is `key` (or `variable`). */
function tables(doc: string, first: string): Array<Record<string, string>> {
  const lines = readFileSync(join(ROOT, doc), 'utf8').split('\n');
  const rows: Array<Record<string, string>> = [];
  for (let i = 0; i < lines.length; i++) {
    const header = cellsOf(lines[i] ?? '');
    if (!(lines[i] ?? '').startsWith('|') || header[0] !== first || !/^\|[-| :]+\|$/.test((lines[i + 1] ?? '').trim())) continue;
    for (i += 2; (lines[i] ?? '').startsWith('|'); i++) {
      const cells = cellsOf(lines[i] ?? '');
      rows.push(Object.fromEntries(header.map((name, c) => [name, cells[c] ?? ''])));
    }
  }
  return rows;
}

/** Rows whose key cell is not one key in backticks: each row must be checkable on its own. */
const unreadable: string[] = [];

function keyRows(doc: string): KeyRow[] {
  return tables(doc, 'key').flatMap((cells) => {
    const key = /^`([^`]+)`$/.exec(cells.key ?? '')?.[1];
    if (key === undefined) unreadable.push(`${doc}: ${cells.key}`);
    return key === undefined ? [] : [{ doc, key, cells }];
  });
}

const KNOWN_KEYS = new Set([
  ...allKeys(),
  ...keysAt(['sequence', 'extractors', 0]).map((key) => `sequence.extractors[].${key}`),
  ...keysAt(['transport', 'gateways', 'CC:1B:E0:E0:00:01']).map((key) => `transport.gateways.<MAC>.${key}`),
]);
const flagsOf = (key: string) => FLAGS.filter((f) => f.key === key).map((f) => `--${f.flag}`).sort();
const envOf = (key: string) => ENV_VARS.filter((e) => e.key === key).map((e) => e.env).sort();
const plain = (text: string) => text.replace(/`/g, '').trim();

const REFERENCE = keyRows('docs/reference.md');
const README = keyRows('README.md');

describe('configuration rows of README.md and docs/reference.md', () => {
  it('each row names one key in backticks', () => {
    expect(unreadable, 'split these rows: one key per row').toEqual([]);
  });

  it('finds the tables (the test itself can fail)', () => {
    expect(REFERENCE.map((r) => r.key)).toEqual(expect.arrayContaining(['upstream', 'timeouts.connect', 'sequence.extractors[].endian']));
    expect(README.length, 'README.md has a short configuration table').toBeGreaterThan(5);
    expect(defaultText('timeouts.connect')).toBe('5s');
    expect(defaultText('no.such.key')).toBeUndefined();
  });

  it.each([...REFERENCE, ...README].map((row) => [`${row.doc} ${row.key}`, row] as const))('%s: a key of the program', (_name, row) => {
    expect(KNOWN_KEYS.has(row.key), `${row.doc}: "${row.key}" is no config key of src/config/schema.ts`).toBe(true);
  });

  it.each([...REFERENCE, ...README].map((row) => [`${row.doc} ${row.key}`, row] as const))('%s: exactly the flags and environment variables of src/config/flags.ts', (_name, row) => {
    const cell = row.cells['flag / env'] ?? '';
    const named = {
      flags: [...new Set([...cell.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]))].sort(),
      env: [...new Set([...cell.matchAll(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b/g)].map((m) => m[0]))].sort(),
    };
    expect(named, `${row.doc}: the "flag / env" cell of ${row.key} should name the flags and variables that set it (src/config/flags.ts)`)
      .toEqual({ flags: flagsOf(row.key), env: envOf(row.key) });
  });

  it.each([...REFERENCE, ...README].map((row) => [`${row.doc} ${row.key}`, row] as const))('%s: the default the program has', (_name, row) => {
    const expected = defaultText(row.key);
    const cell = plain(row.cells.default ?? '');
    if (expected === undefined) {
      // Sections and the fields of list or map entries: no single default to state.
      expect(KNOWN_KEYS.has(row.key)).toBe(true);
      return;
    }
    expect(cell.startsWith(expected), `${row.doc}: the default of ${row.key} should start with "${expected}" (what check-config prints, as --help says it), not "${cell}"`).toBe(true);
  });

  it.each(REFERENCE.filter((row) => row.cells.applied).map((row) => [row.key, row] as const))('docs/reference.md %s: reload or restart as src/generation.ts applies it', (key, row) => {
    const restart = (RESTART_REQUIRED_KEYS as readonly string[]).includes(key);
    expect(/\brestart\b/.test(row.cells.applied ?? ''), `docs/reference.md: ${key} should say ${restart ? '**restart**' : 'reload'} (RESTART_REQUIRED_KEYS in src/generation.ts)`).toBe(restart);
  });

  // The defaults above are read from what check-config prints: a key it leaves out would have
  // no default to check (and check-config's output would not be the whole configuration).
  it.each(allKeys().filter((key) => key !== 'gatewaysFile').map((key) => [key] as const))('check-config prints %s', (key) => {
    expect(defaultText(key) !== undefined || keysAt(key.split('.')).length > 0, `${key}: add it to resolvedView in src/config/format.ts`).toBe(true);
  });

  it('docs/reference.md has a row for every flag and variable of the CLI', () => {
    const missing = [...FLAGS.flatMap((f) => (f.key ? [[f.key, `--${f.flag}`]] : [])), ...ENV_VARS.map((e) => [e.key, e.env])]
      .filter(([key, name]) => !REFERENCE.some((row) => row.key === key && (row.cells['flag / env'] ?? '').includes(name as string)))
      .map(([key, name]) => `${name} (sets ${key})`);
    expect(missing, 'docs/reference.md: add these to the "flag / env" cell of their key').toEqual([]);
  });

  it('docs/reference.md lists every environment variable with the key it sets', () => {
    const rows = tables('docs/reference.md', 'variable').map((cells) => [/`([A-Z0-9_]+)`/.exec(cells.variable ?? '')?.[1], /`([^`]+)`/.exec(cells.key ?? '')?.[1]]);
    expect(rows.sort(), 'docs/reference.md "Environment variables"').toEqual(ENV_VARS.map((e) => [e.env, e.key]).sort());
  });

  it('the MAC spellings docs/reference.md promises for a gateway map are the ones accepted', () => {
    const bullet = readFileSync(join(ROOT, 'docs/reference.md'), 'utf8').split('\n').find((line) => line.startsWith('- **MACs** in the gateway map'));
    const spellings = [...(bullet ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
    expect(spellings.length).toBeGreaterThanOrEqual(3);
    for (const mac of spellings) expect(normalizeMac(mac), mac).toMatch(/^([0-9A-F]{2}:){5}[0-9A-F]{2}$/);
  });
});
