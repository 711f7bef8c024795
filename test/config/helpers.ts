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
