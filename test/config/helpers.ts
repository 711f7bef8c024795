// Temp directories with config files for config tests; removed after each file's tests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { isConfigError } from '../../src/config/errors.js';

/** A fresh temp dir, removed after the test file; `write(name, text)` returns the file's path. */
export function tempDir(): { dir: string; write(name: string, text: string): string } {
  const dir = mkdtempSync(join(tmpdir(), 'cassia-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
  };
}

/** Runs `load` expecting a ConfigError; returns its problem lines. */
export async function problemsOf(load: Promise<unknown>): Promise<string[]> {
  try {
    await load;
  } catch (error) {
    if (isConfigError(error)) return error.problems.map((p) => p.message);
    throw error;
  }
  throw new Error('expected a ConfigError, but the config loaded');
}

/** A PEM-looking CA file body (content is not parsed beyond the marker). */
export const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

/**
 * The kinds of configuration error line docs/reference.md documents ("Configuration errors"),
 * each as the reference writes it and as a pattern. Every line the loader prints must match one.
 */
export const ERROR_LINE_FORMS = [
  { documented: '`<source>: <key or flag> = <value> — expected …`', pattern: /^(?<source>.+?): (?<name>\(top level\)|\S+) = (?<value>.+) — expected .+$/ },
  { documented: '`<source>: <key> is missing — expected …`', pattern: /^(?<source>.+?): (?<name>\S+) is missing — expected .+$/ },
  { documented: '`<source>: unknown key "<key>" — …`', pattern: /^(?<source>.+?): unknown key "(?<name>[^"]+)" — .+$/ },
  { documented: '`<source>: unknown flag "<flag>" — …`', pattern: /^(?<source>command line): unknown flag "(?<name>[^"]+)" — .+$/ },
  { documented: '`<source>: unexpected argument "<argument>" — …`', pattern: /^(?<source>command line): unexpected argument "(?<name>[^"]+)" — .+$/ },
  { documented: '`<file>: file not found (…)`', pattern: /^(?<source>.+?): file not found \(.+\)$/ },
  { documented: '`<file>: cannot read file (…)`', pattern: /^(?<source>.+?): cannot read file \(.+\)$/ },
  { documented: '`<file>: is a directory — …`', pattern: /^(?<source>.+?): is a directory — .+$/ },
  { documented: '`<file>: invalid YAML: …`', pattern: /^(?<source>.+?): invalid YAML: .+$/ },
  { documented: '`<file>: invalid JSON: …`', pattern: /^(?<source>.+?): invalid JSON: .+$/ },
] as const;

/** The documented form `line` has, with its source and name; undefined when it has none. */
export function errorLineForm(line: string): { documented: string; source: string; name: string | undefined } | undefined {
  for (const form of ERROR_LINE_FORMS) {
    const match = form.pattern.exec(line);
    if (match?.groups) return { documented: form.documented, source: match.groups.source ?? '', name: match.groups.name };
  }
  return undefined;
}
