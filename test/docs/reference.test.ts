/**
 * docs/reference.md is the product's contract; these tests fail when the code grows something
 * the reference does not name: a metric family (or one of its labels), a config key, an outcome
 * reason. And the repository stands alone: no file points at documents outside it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REASONS } from '../../src/classify/outcome.js';
import { allKeys, keysAt } from '../../src/config/schema.js';
import { createMetrics, Registry } from '../../src/metrics/metrics.js';
import { AC_ERROR_TEXTS, AC_ERRORS, ORIGINS, STREAM_KINDS, TRANSPORT_LABELS } from '../../src/vocabulary.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const REFERENCE = readFileSync(join(ROOT, 'docs/reference.md'), 'utf8');
const TABLE_ROWS = REFERENCE.split('\n').filter((line) => line.startsWith('|'));

/** The rows of the "Label values" table of the metrics section. */
const LABEL_ROWS = REFERENCE.slice(REFERENCE.indexOf('\nLabel values:')).split('\n\n| label |')[1]?.split('\n\n')[0]?.split('\n') ?? [];

/** The table row that documents `code` in its first cell. */
function rowOf(code: string): string | undefined {
  return TABLE_ROWS.find((line) => line.startsWith(`| \`${code}\` |`));
}

describe('docs/reference.md', () => {
  const registry = new Registry();
  createMetrics(registry);
  const families = registry.getMetricsAsArray().map((metric) => {
    const { name, type } = metric as unknown as { name: string; type: string };
    const labelNames = (metric as unknown as { labelNames?: readonly string[] }).labelNames ?? [];
    return { name, type, labelNames: [...labelNames] };
  });

  it('sees the metric families (the test itself can fail)', () => {
    expect(families.length).toBeGreaterThan(20);
    expect(rowOf('cassia_proxy_no_such_metric')).toBeUndefined();
  });

  it.each(families.map((f) => [f.name, f] as const))('documents metric %s with its type and labels', (name, family) => {
    const row = rowOf(name);
    expect(row, `${name} has no row in a table of docs/reference.md`).toBeDefined();
    expect(row).toContain(family.type);
    for (const label of family.labelNames) expect(row, `${name}: label ${label}`).toMatch(new RegExp(`\\b${label}\\b`));
  });

  const configKeys = [
    ...allKeys(),
    ...keysAt(['sequence', 'extractors', 0]).map((key) => `sequence.extractors[].${key}`),
    ...keysAt(['transport', 'gateways', 'CC:1B:E0:E0:00:01']).map((key) => `transport.gateways.<MAC>.${key}`),
  ];

  it('sees the config schema', () => {
    expect(configKeys).toContain('timeouts.connect');
    expect(configKeys).toContain('sequence.extractors[].endian');
    expect(configKeys).toContain('transport.gateways.<MAC>.name');
  });

  it.each(configKeys)('documents config key %s', (key) => {
    expect(rowOf(key), `${key} has no row in a table of docs/reference.md`).toBeDefined();
  });

  it.each([
    ['transport', TRANSPORT_LABELS],
    ['stream', STREAM_KINDS],
    ['origin', ORIGINS],
    ['error', AC_ERRORS],
  ] as const)('documents every value of the %s label', (label, values) => {
    const row = LABEL_ROWS.find((line) => line.startsWith(`| \`${label}\` |`));
    expect(row, `no row for label ${label} in the "Label values" table`).toBeDefined();
    for (const value of values) expect(row, `${label}=${value}`).toContain(`\`${value}\``);
  });

  it.each(AC_ERRORS)('documents error word %s with the texts that give it', (word) => {
    const row = rowOf(word);
    expect(row, `${word} is not a row of the "What the AC said" table`).toBeDefined();
    for (const { text, error } of AC_ERROR_TEXTS) {
      if (error === word) expect(row?.toLowerCase(), `${word}: ${text}`).toContain(text);
    }
  });

  it.each(REASONS)('documents outcome reason %s in the outcome table', (reason) => {
    const outcomeRows = TABLE_ROWS.filter((line) => /^\| .* \| `(upstream|proxy|client)` \| `[a-z_]+` \|$/.test(line));
    expect(outcomeRows.some((line) => line.endsWith(`| \`${reason}\` |`)), `${reason} is not a row of the outcome table`).toBe(true);
  });
});

describe('the repository stands alone', () => {
  // Built from parts so that this file does not match itself.
  const forbidden = ['PRODUCT' + '.md', 'PERFORMANCE' + '-NOTES' + '.md', 'CONVENTIONS' + '.md', '/wo' + 'rk/'];

  it('mentions no document or path outside the repository', () => {
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' })
      .split('\0')
      .filter((file) => file !== '' && !file.startsWith('node_modules/'));
    expect(files).toContain('docs/reference.md');
    const hits: string[] = [];
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(join(ROOT, file), 'utf8');
      } catch {
        continue; // deleted in the work tree but still in the index
      }
      for (const word of forbidden) if (text.includes(word)) hits.push(`${file}: ${word}`);
    }
    expect(hits).toEqual([]);
  });
});
