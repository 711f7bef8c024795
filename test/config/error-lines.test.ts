/**
 * The documented shape of configuration error lines (docs/reference.md, "Configuration errors"),
 * checked over every validation error: a bad value for every key of the schema in a file, for
 * every flag and every environment variable, and each check across keys. Each line must be one
 * of the documented kinds, from the right source, naming the key the way that source writes it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ENV_VARS, FLAGS } from '../../src/config/flags.js';
import { loadConfig } from '../../src/config/load.js';
import { allKeys, describeContainer, keysAt } from '../../src/config/schema.js';
import { ERROR_LINE_FORMS, PEM, errorLineForm, problemsOf, tempDir } from './helpers.js';

const tmp = tempDir();
const load = (argv: string[], env: Record<string, string> = {}) => loadConfig({ argv, env, cwd: tmp.dir });
const VALUE_LINE = ERROR_LINE_FORMS[0].documented;

/** Puts `value` at the dotted `path` (`sequence.extractors[0].offset`) of a copy of `base`. */
function setAt(base: Record<string, unknown>, path: readonly PropertyKey[], value: unknown): Record<string, unknown> {
  const root = structuredClone(base);
  let node = root as Record<PropertyKey, unknown>;
  path.forEach((segment, i) => {
    if (i === path.length - 1) node[segment] = value;
    else node = (node[segment] ??= typeof path[i + 1] === 'number' ? [] : {}) as Record<PropertyKey, unknown>;
  });
  return root;
}

const MAC = 'CC:1B:E0:E0:00:01';
const EXTRACTOR = { name: 'a', stream: 'notification', offset: 0, length: 1, endian: 'big' };
/** Every place a value can go in a config file, as a path and as the reference writes the key. */
const FILE_KEYS: Array<{ path: PropertyKey[]; written: string; base: Record<string, unknown> }> = [
  ...allKeys().map((key) => ({ path: key.split('.'), written: key, base: {} })),
  ...keysAt(['sequence', 'extractors', 0]).map((key) => ({
    path: ['sequence', 'extractors', 0, key], written: `sequence.extractors[0].${key}`, base: { sequence: { extractors: [EXTRACTOR] } },
  })),
  ...keysAt(['transport', 'gateways', MAC]).map((key) => ({
    path: ['transport', 'gateways', MAC, key], written: `transport.gateways.${MAC}.${key}`, base: { transport: { gateways: { [MAC]: { transport: 'mqtt' } } } },
  })),
];

describe('configuration error lines', () => {
  it('are documented in docs/reference.md, every kind', () => {
    const reference = readFileSync(join(import.meta.dirname, '../../docs/reference.md'), 'utf8');
    for (const form of ERROR_LINE_FORMS) expect(reference, `docs/reference.md documents ${form.documented}`).toContain(form.documented);
  });

  it.each(FILE_KEYS.map((k) => [k.written, k] as const))('a bad value for %s in a file', async (written, { path, base }) => {
    // Sections, lists and maps get a word; every leaf a nested list, which no leaf takes.
    const bad = describeContainer(path) === undefined ? [['?']] : 'x';
    const file = tmp.write(`bad-${written.replace(/[^\w.-]/g, '_')}.yaml`, YAML.stringify(setAt(base, path, bad)));
    const lines = await problemsOf(load(['--config', file]));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(errorLineForm(line), line).toMatchObject({ documented: VALUE_LINE, source: file, name: written });
    }
  });

  it.each(FLAGS.filter((f) => f.key !== undefined).map((f) => [`--${f.flag}`, f] as const))('a bad value for %s', async (flag, spec) => {
    const argv = spec.value === undefined ? [`${flag}=maybe`] : [flag, '{?}'];
    for (const line of await problemsOf(load(argv))) {
      const form = errorLineForm(line);
      expect(form, line).toBeDefined();
      // A file named by a flag that cannot be read is reported under the file's own name.
      if (form?.documented !== VALUE_LINE) expect(form?.source.endsWith('{?}'), line).toBe(true);
      else expect(form, line).toMatchObject({ source: 'command line', name: flag });
    }
  });

  it.each(ENV_VARS.map((e) => [e.env] as const))('a bad value for %s', async (env) => {
    const lines = await problemsOf(load([], { [env]: '{?}' }));
    for (const line of lines) expect(errorLineForm(line), line).toMatchObject({ documented: VALUE_LINE, source: 'environment', name: env });
  });

  it.each<[string, string[], Record<string, string>, string, string]>([
    ['two listeners on one address', ['--listen', ':7000', '--admin-listen', ':7000'], {}, 'command line', '--admin-listen'],
    ['insecure TLS with a CA', ['--upstream-insecure', '--upstream-ca', tmp.write('ca.pem', PEM)], {}, 'command line', '--upstream-insecure'],
    ['discovery on without credentials', ['--upstream', 'https://ac.example.com', '--discovery'], {}, 'command line', '--discovery'],
    ['probes on without credentials', ['--upstream', 'https://ac.example.com', '--probe'], {}, 'command line', '--probe'],
    ['probes on with only the secret', ['--upstream', 'https://ac.example.com', '--probe'], { CASSIA_AC_SECRET: 's' }, 'environment', 'CASSIA_AC_SECRET'],
    ['a key without its secret', [], { CASSIA_AC_KEY: 'k' }, 'environment', 'CASSIA_AC_KEY'],
    ['a CA file that is not PEM', ['--upstream-ca', tmp.write('not.pem', 'hello')], {}, 'command line', '--upstream-ca'],
    ['a gateway map key that is no MAC', ['--gateways', tmp.write('gw-bad.yaml', 'CC.1B.E0.E0.00.02: mqtt\n')], {}, join(tmp.dir, 'gw-bad.yaml'), 'CC.1B.E0.E0.00.02'],
    ['one gateway twice in a map file', ['--gateways', tmp.write('gw-dup.yaml', 'cc-1b-e0-e0-00-02: mqtt\nCC1BE0E00002: capwap\n')], {}, join(tmp.dir, 'gw-dup.yaml'), 'CC1BE0E00002'],
    ['a bad transport in a map file', ['--gateways', tmp.write('gw-t.yaml', `${MAC}: wifi\n`)], {}, join(tmp.dir, 'gw-t.yaml'), `${MAC}.transport`],
    ['a map file that is a list', ['--gateways', tmp.write('gw-list.yaml', '- a\n')], {}, join(tmp.dir, 'gw-list.yaml'), '(top level)'],
    ['a config file that is a list', ['--config', tmp.write('list.yaml', '- a\n')], {}, join(tmp.dir, 'list.yaml'), '(top level)'],
    ['two extractors with one name', ['--config', tmp.write('ex.yaml', YAML.stringify({ sequence: { extractors: [EXTRACTOR, EXTRACTOR] } }))], {}, join(tmp.dir, 'ex.yaml'), 'sequence.extractors[1].name'],
    ['a handle on a scan extractor', ['--config', tmp.write('ex-h.yaml', YAML.stringify({ sequence: { extractors: [{ ...EXTRACTOR, stream: 'scan', handle: 3 }] } }))], {}, join(tmp.dir, 'ex-h.yaml'), 'sequence.extractors[0].handle'],
    ['a flag without its value', ['--listen'], {}, 'command line', '--listen'],
  ])('%s', async (_name, argv, env, source, name) => {
    const lines = await problemsOf(load(argv, env));
    expect(lines).toHaveLength(1);
    expect(errorLineForm(lines[0] ?? ''), lines[0]).toMatchObject({ documented: VALUE_LINE, source, name });
  });

  it.each<[string, string[], string, string | undefined]>([
    ['a required key left out', ['--config', tmp.write('ex-m.yaml', 'sequence: { extractors: [{ name: a, stream: scan, offset: 0, length: 1 }] }\n')], ERROR_LINE_FORMS[1].documented, 'sequence.extractors[0].endian'],
    ['an unknown key', ['--config', tmp.write('typo.yaml', 'timeouts: { conect: 5s }\n')], ERROR_LINE_FORMS[2].documented, 'timeouts.conect'],
    ['an unknown flag', ['--conect-timeout', '5s'], ERROR_LINE_FORMS[3].documented, '--conect-timeout'],
    ['a stray argument', ['serve'], ERROR_LINE_FORMS[4].documented, 'serve'],
    ['a missing file', ['--config', 'nope.yaml'], ERROR_LINE_FORMS[5].documented, undefined],
    ['broken YAML', ['--config', tmp.write('broken.yaml', 'a: [\n')], ERROR_LINE_FORMS[8].documented, undefined],
    ['broken JSON', ['--config', tmp.write('broken.json', '{"a": }')], ERROR_LINE_FORMS[9].documented, undefined],
  ])('%s', async (_name, argv, documented, name) => {
    const lines = await problemsOf(load(argv));
    expect(lines).toHaveLength(1);
    expect(errorLineForm(lines[0] ?? ''), lines[0]).toMatchObject({ documented, name });
  });
});
