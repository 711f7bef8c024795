/**
 * The shape of one configuration layer (a config file, the gateways file, the environment or
 * the flags), as a zod schema: strict objects, so an unknown key anywhere is an error, and
 * leaves that run our own parsers so messages say what was expected in our words.
 */
import { z } from 'zod';
import type { Transport } from '../vocabulary.js';
import type { SequenceExtractor } from './types.js';
import {
  type Parsed, parseBoolean, parseByteSize, parseChoice, parseDuration, parseHostPort, parseInteger,
  parseProbeCall, parseRate, parseText, parseTransport, parseUpstreamUrl,
} from './values.js';

/** Marks a leaf issue as "the key is required" so the message can say "is missing". */
export const MISSING = 'missing:';

/** A leaf run through one of our parsers; an absent required leaf is a "missing" issue. */
function required<T>(parse: (value: unknown) => Parsed<T>) {
  return z.unknown().transform((value, ctx): T => {
    const result = value === undefined ? { ok: false as const, expected: `${MISSING}${expectedOf(parse)}` } : parse(value);
    if (result.ok) return result.value;
    ctx.issues.push({ code: 'custom', message: result.expected, input: value });
    return z.NEVER;
  });
}

/** An optional leaf: absent stays absent. */
function leaf<T>(parse: (value: unknown) => Parsed<T>) {
  return z.unknown().transform((value, ctx): T | undefined => {
    if (value === undefined) return undefined;
    const result = parse(value);
    if (result.ok) return result.value;
    ctx.issues.push({ code: 'custom', message: result.expected, input: value });
    return z.NEVER;
  }).optional();
}

function expectedOf(parse: (value: unknown) => Parsed<unknown>): string {
  const result = parse(Symbol('probe'));
  return result.ok ? 'a value' : result.expected;
}

/** YAML turns an emptied-out section (`timeouts:` with every line commented) into null. */
function section<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.preprocess((value) => (value === null ? {} : value), z.strictObject(shape)).optional();
}

const nullable = <T>(parse: (value: unknown) => Parsed<T>) => (value: unknown): Parsed<T | null> =>
  value === null || value === 'none' ? { ok: true, value: null } : parse(value);

const duration = (min = 1) => leaf((value) => parseDuration(value, min));

/** Names of the built-in sequence extractors, in the order they are documented. */
export const BUILTIN_EXTRACTORS = ['seqNum', 'ruuvi', 'eddystone-tlm'] as const;
type Builtin = (typeof BUILTIN_EXTRACTORS)[number];

function parseBuiltins(value: unknown): Parsed<Builtin[]> {
  const items = typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;
  const expected = `a list of built-in extractors from ${BUILTIN_EXTRACTORS.join(', ')} (may be empty)`;
  if (!Array.isArray(items)) return { ok: false, expected };
  const out = new Set<Builtin>();
  for (const item of items) {
    const found = parseChoice(item, BUILTIN_EXTRACTORS);
    if (!found.ok) return { ok: false, expected };
    out.add(found.value);
  }
  return { ok: true, value: [...out] };
}

const transportOrNone = nullable((value): Parsed<Exclude<Transport, 'unknown'>> => {
  const result = parseChoice(value, ['capwap', 'mqtt'] as const);
  return result.ok ? result : { ok: false, expected: 'capwap, mqtt or none' };
});

/** One gateway in a map: `capwap` or `{ transport, name }`. */
const gatewayEntry = z.preprocess(
  (value) => (typeof value === 'string' ? { transport: value } : value),
  z.strictObject({ transport: required(parseTransport), name: leaf(parseText) }),
);

const extractor = z.strictObject({
  name: required(parseText),
  stream: required((v) => parseChoice(v, ['notification', 'scan'] as const)),
  handle: leaf((v) => parseInteger(v, 0, 0xffff)),
  manufacturerId: leaf((v) => parseInteger(v, 0, 0xffff)),
  offset: required((v) => parseInteger(v, 0, 1024)),
  length: required((v): Parsed<SequenceExtractor['length']> => {
    const n = parseInteger(v, 1, 4);
    return n.ok && (n.value === 1 || n.value === 2 || n.value === 4) ? { ok: true, value: n.value } : { ok: false, expected: '1, 2 or 4 (bytes)' };
  }),
  endian: required((v) => parseChoice(v, ['big', 'little'] as const)),
  wrap: leaf((v) => parseInteger(v, 2, 2 ** 32)),
});

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** Every key a layer may set. All optional: defaults come last, in `load.ts`. */
export const layerSchema = z.strictObject({
  upstream: leaf(nullable(parseUpstreamUrl)),
  upstreamCa: leaf(nullable(parseText)),
  upstreamInsecure: leaf(parseBoolean),
  listen: leaf(parseHostPort),
  admin: leaf(parseHostPort),
  gatewaysFile: leaf(nullable(parseText)),
  timeouts: section({
    connect: duration(), headers: duration(), streamIdle: duration(), shutdown: duration(0),
    clientHeaders: duration(), clientBody: duration(), clientKeepAlive: duration(),
  }),
  transport: section({
    default: leaf(parseTransport),
    expected: leaf(transportOrNone),
    gateways: z.preprocess((value) => (value === null ? {} : value), z.record(z.string(), gatewayEntry)).optional(),
  }),
  discovery: section({
    enabled: leaf(parseBoolean), interval: duration(1000), key: leaf(nullable(parseText)), secret: leaf(nullable(parseText)),
  }),
  probe: section({
    enabled: leaf(parseBoolean), interval: duration(1000), timeout: duration(100),
    maxPerSecond: leaf((v) => parseRate(v, 1000)), call: leaf(parseProbeCall),
  }),
  sequence: section({
    builtin: leaf(parseBuiltins),
    extractors: z.preprocess((value) => (value === null ? [] : value), z.array(extractor)).optional(),
    reorderWindow: leaf((v) => parseInteger(v, 1, 65536)),
    reorderWindowTime: duration(),
    request: leaf(parseBoolean),
  }),
  limits: section({
    maxGateways: leaf((v) => parseInteger(v, 1, 1_000_000)),
    maxTrackedDevices: leaf((v) => parseInteger(v, 1, 100_000_000)),
    maxEventBytes: leaf(parseByteSize),
    maxClientConnections: leaf((v) => parseInteger(v, 1, 1_000_000)),
  }),
  log: section({ level: leaf((v) => parseChoice(v, LOG_LEVELS)), access: leaf(parseBoolean) }),
});

/** What one layer says, after validation. */
export type LayerValues = z.output<typeof layerSchema>;

// The schema is walked through zod's public classes (instanceof, `.shape`, `.element`,
// `.valueType`, `.unwrap()`, a pipe's `.in`/`.out`), never its internal `_zod.def`.
type AnySchema = z.ZodType;

/** Strips optional/nullable/preprocess wrappers down to the object, array, record or leaf inside. */
function unwrap(schema: AnySchema): AnySchema {
  for (;;) {
    if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) schema = schema.unwrap() as AnySchema;
    else if (schema instanceof z.ZodPipe && schema.in instanceof z.ZodTransform) schema = schema.out as AnySchema;
    else return schema;
  }
}

/** The schema one step inside `schema`: a key of an object, the element of an array, the value of a record. */
function childOf(schema: AnySchema, segment: PropertyKey): AnySchema | undefined {
  if (schema instanceof z.ZodObject) return (schema.shape as Record<string, AnySchema>)[String(segment)];
  if (schema instanceof z.ZodArray) return schema.element as AnySchema;
  if (schema instanceof z.ZodRecord) return schema.valueType as AnySchema;
  return undefined;
}

/** The schema at a path (array indexes and record keys step into elements), if any. */
export function schemaAt(path: readonly PropertyKey[]): AnySchema | undefined {
  let schema: AnySchema | undefined = layerSchema;
  for (const segment of path) {
    if (!schema) return undefined;
    schema = childOf(unwrap(schema), segment);
  }
  return schema && unwrap(schema);
}

/** Keys an object at `path` accepts (empty if it is not an object). */
export function keysAt(path: readonly PropertyKey[]): string[] {
  const schema = schemaAt(path);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/** Every dotted key reachable through objects only, e.g. `timeouts.connect`. */
export function allKeys(path: string[] = []): string[] {
  return keysAt(path).flatMap((key) => {
    const child = [...path, key];
    const nested = allKeys(child);
    return [child.join('.'), ...nested];
  });
}

/** What a container at `path` should have been, for type errors on sections. */
export function describeContainer(path: readonly PropertyKey[]): string | undefined {
  const schema = schemaAt(path);
  if (schema instanceof z.ZodObject) return `a mapping with keys ${keysAt(path).join(', ')}`;
  if (schema instanceof z.ZodArray) return 'a list';
  if (schema instanceof z.ZodRecord) return 'a mapping of gateway MAC to transport or {transport, name}';
  return undefined;
}
