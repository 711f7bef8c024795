/**
 * One configuration layer at a time: read it (file, environment, flags), validate it against
 * `layerSchema`, and turn every issue into a `ConfigProblem` that names where it came from.
 * Each layer is validated on its own, so a typo in the file is reported even when a flag
 * happens to override the same key.
 */
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { normalizeMac } from '../vocabulary.js';
import { type ConfigProblem, nearest, renderValue } from './errors.js';
import { MISSING, type LayerValues, allKeys, describeContainer, keysAt, layerSchema } from './schema.js';
import { maskUrl } from './values.js';

/** Raw input of one layer before validation. */
export interface RawLayer {
  /** `config.yaml` as given, `command line`, `environment`. */
  source: string;
  raw: unknown;
  /** How a dotted key is named in messages: itself, or the flag/env variable that set it. */
  nameOf: (key: string) => string;
  /** Relative paths in this layer resolve against this directory. */
  baseDir: string;
}

/** A validated layer; `values` is empty when it had problems. */
export interface Layer {
  source: string;
  values: LayerValues;
  nameOf: (key: string) => string;
  baseDir: string;
  problems: ConfigProblem[];
}

const SECRET_KEYS = new Set(['discovery.secret']);

/** A value as it may appear in an error line: secrets hidden, URL credentials masked. */
export function maskForKey(key: string, value: unknown): string {
  if (SECRET_KEYS.has(key) && value !== undefined && value !== null) return '"***"';
  if (key === 'upstream' && typeof value === 'string') return renderValue(maskUrl(value));
  return renderValue(value);
}

/** Reads and parses a YAML or JSON file (by extension; by content when the extension says neither). */
export async function readStructuredFile(path: string, cwd: string): Promise<{ raw: unknown } | { problem: ConfigProblem }> {
  const fail = (message: string) => ({ problem: { source: path, key: '', message: `${path}: ${message}` } });
  let text: string;
  try {
    text = await readFile(resolve(cwd, path), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return fail(`file not found (looked for ${resolve(cwd, path)})`);
    if (code === 'EISDIR') return fail('is a directory — expected a YAML or JSON file');
    return fail(`cannot read file (${code ?? (error as Error).message})`);
  }
  const ext = extname(path).toLowerCase();
  const json = ext === '.json' || (ext !== '.yaml' && ext !== '.yml' && /^\s*[{[]/.test(text));
  try {
    const raw: unknown = json ? JSON.parse(text) : YAML.parse(text);
    return { raw: raw ?? {} };
  } catch (error) {
    // YAML's message continues with a code excerpt on later lines; the first line has the position.
    const first = (error as Error).message.split('\n')[0]?.replace(/:$/, '');
    return fail(`invalid ${json ? 'JSON' : 'YAML'}: ${first}`);
  }
}

/** Builds a nested object from dotted keys, for the environment and flag layers. */
export function nest(values: Map<string, unknown>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of values) {
    const parts = key.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1] ?? key] = value;
  }
  return root;
}

const dotted = (path: readonly PropertyKey[]) =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let node = raw;
  for (const segment of path) node = node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[segment as string] : undefined;
  return node;
}

function unknownKeyMessage(path: readonly PropertyKey[], key: string): string {
  const full = dotted([...path, key]);
  const siblings = keysAt(path);
  const sibling = nearest(key, siblings);
  // A key put at the wrong level (`connect:` at the top) is found by its last segment.
  const elsewhere = sibling ? undefined : allKeys().find((k) => k.split('.').pop()?.toLowerCase() === key.toLowerCase())
    ?? nearest(full, allKeys());
  const guess = sibling ? dotted([...path, sibling]) : elsewhere;
  if (guess) return `unknown key "${full}" — did you mean "${guess}"?`;
  return `unknown key "${full}"${siblings.length > 0 ? ` — valid keys here: ${siblings.join(', ')}` : ''}`;
}

function issueProblems(layer: RawLayer, issue: z.core.$ZodIssue): ConfigProblem[] {
  const key = dotted(issue.path);
  const make = (k: string, text: string): ConfigProblem => ({ source: layer.source, key: k, message: `${layer.source}: ${text}` });
  if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => make(dotted([...issue.path, k]), unknownKeyMessage(issue.path, k)));
  const name = layer.nameOf(key) || '(top level)';
  // `MAC: wifi` is shorthand for `{ transport: wifi }`: the bad value is the parent itself.
  const parent = valueAt(layer.raw, issue.path.slice(0, -1));
  const value = parent !== null && typeof parent !== 'object' ? parent : valueAt(layer.raw, issue.path);
  if (issue.code === 'custom') {
    if (issue.message.startsWith(MISSING)) return [make(key, `${name} is missing — expected ${issue.message.slice(MISSING.length)}`)];
    return [make(key, `${name} = ${maskForKey(key, value)} — expected ${issue.message}`)];
  }
  const expected = describeContainer(issue.path) ?? issue.message;
  return [make(key, `${name} = ${maskForKey(key, value)} — expected ${expected}`)];
}

/** The MAC spellings a gateway map accepts, for the error line. */
const MAC_FORMS = 'CC:1B:E0:E0:00:01, cc-1b-e0-e0-00-01 or CC1BE0E00001 (any case)';

/** Gateway map keys must be MACs, each gateway listed once (in any spelling). */
function checkMacs(layer: RawLayer): ConfigProblem[] {
  const gateways = valueAt(layer.raw, ['transport', 'gateways']);
  if (gateways === null || typeof gateways !== 'object' || Array.isArray(gateways)) return [];
  const problems: ConfigProblem[] = [];
  const seenAs = new Map<string, string>();
  for (const [written, entry] of Object.entries(gateways)) {
    const mac = normalizeMac(written);
    const key = `transport.gateways.${written}`;
    const text = mac === null
      ? `expected a gateway MAC as the key, such as ${MAC_FORMS}`
      : seenAs.has(mac) ? `expected each gateway once: "${written}" is the same gateway as "${seenAs.get(mac)}" (${mac})` : null;
    if (mac !== null) seenAs.set(mac, seenAs.get(mac) ?? written);
    if (text) problems.push({ source: layer.source, key, message: `${layer.source}: ${layer.nameOf(key)} = ${renderValue(entry)} — ${text}` });
  }
  return problems;
}

/** Validates one layer; also normalises gateway MACs, checks extractors and resolves paths. */
export function validateLayer(layer: RawLayer): Layer {
  const result = layerSchema.safeParse(layer.raw);
  const base = { source: layer.source, nameOf: layer.nameOf, baseDir: layer.baseDir };
  const problems = checkMacs(layer);
  if (!result.success) {
    return { ...base, values: {}, problems: [...problems, ...result.error.issues.flatMap((issue) => issueProblems(layer, issue))] };
  }
  const values = result.data;
  const problem = (key: string, text: string) => problems.push({ source: layer.source, key, message: `${layer.source}: ${text}` });

  if (values.transport?.gateways) {
    const byMac: NonNullable<typeof values.transport.gateways> = {};
    for (const [written, entry] of Object.entries(values.transport.gateways)) {
      byMac[normalizeMac(written) ?? written] = entry.name === undefined ? { transport: entry.transport } : entry;
    }
    values.transport.gateways = byMac;
  }

  const names = new Set<string>();
  values.sequence?.extractors?.forEach((ex, i) => {
    const at = `sequence.extractors[${i}]`;
    if (names.has(ex.name)) problem(at, `${at}.name = ${renderValue(ex.name)} — expected a name not used by another extractor`);
    names.add(ex.name);
    if (ex.handle !== undefined && ex.stream !== 'notification') problem(at, `${at}.handle = ${ex.handle} — expected only with stream: notification (scan data has no handle)`);
    if (ex.manufacturerId !== undefined && ex.stream !== 'scan') problem(at, `${at}.manufacturerId = ${ex.manufacturerId} — expected only with stream: scan (notifications have no manufacturer data)`);
    if (ex.wrap !== undefined && ex.wrap > 2 ** (8 * ex.length)) {
      problem(at, `${at}.wrap = ${ex.wrap} — expected at most ${2 ** (8 * ex.length)} for a ${ex.length}-byte counter`);
    }
  });
  return { ...base, values: problems.length > 0 ? {} : values, problems };
}
