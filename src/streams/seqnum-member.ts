/**
 * Finds, in one event's JSON text, the top-level `"seqNum":N` member the AC adds for
 * `sequence=2`, and the exact bytes to cut so that what remains is the object as the AC writes it
 * without that parameter: same members in the same order, same whitespace.
 *
 * The cut takes the member with the separator that joined it to its neighbour: for a member after
 * the first, from the end of the previous value to the end of `N` (`, "seqNum": 5`); for the first
 * member, from its key to the next key (`"seqNum":5, `); for the only member, the member alone.
 * Whitespace inside the member (around its colon) is part of it.
 *
 * Only the top level is read as JSON members; nested objects and arrays are skipped whole (their
 * own `seqNum` keys are never touched), as are strings (`"text":"\"seqNum\":1"` is a value). Keys
 * are compared as written: a key that spells `seqNum` with escapes is a shape the AC does not
 * produce, so it is reported as unrewritable rather than guessed at.
 */

/** A top-level `seqNum` member was found: `from` and `to` delimit the bytes to cut. */
export const SEQNUM_FOUND = 0;
/** A JSON object without a top-level `seqNum` member; `notification` tells what kind of event it is. */
export const SEQNUM_ABSENT = 1;
/** Not a JSON object the finder can read, or a `seqNum` member it cannot cut exactly. */
export const SEQNUM_UNREWRITABLE = 2;
export type SeqNumVerdict = typeof SEQNUM_FOUND | typeof SEQNUM_ABSENT | typeof SEQNUM_UNREWRITABLE;

/** Filled by findSeqNumMember. */
export interface SeqNumMember {
  /** The cut, as offsets into the buffer given (valid with SEQNUM_FOUND). */
  from: number;
  to: number;
  /**
   * Whether the event is a notification as the analysis reads the combined stream: `dataType` is
   * `"notification"`, or there is no string `dataType`, a `value` and no `adData`.
   */
  notification: boolean;
}

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const LBRACKET = 0x5b;
const BACKSLASH = 0x5c;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
/** Nesting the skipper follows (a bit per level); deeper values are unreadable. */
const MAX_DEPTH = 30;

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const SEQNUM = ascii('seqNum');
const DATA_TYPE = ascii('dataType');
const VALUE = ascii('value');
const AD_DATA = ascii('adData');
const NOTIFICATION = ascii('"notification"');

function skipWhitespace(b: Buffer, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (c !== SPACE && c !== LF && c !== CR && c !== TAB) break;
    i++;
  }
  return i;
}

/** Index after the closing quote of the string whose opening quote is at `i`; -1 if it does not end. */
function stringEnd(b: Buffer, i: number, end: number): number {
  for (let j = i + 1; j < end; j++) {
    const c = b[j];
    if (c === QUOTE) return j + 1;
    if (c === BACKSLASH) j++;
  }
  return -1;
}

/** Index after the object or array opening at `i` (brackets matched, strings skipped); -1 if unreadable. */
function nestedEnd(b: Buffer, i: number, end: number): number {
  let depth = 0;
  let objects = 0; // bit k set: level k is an object
  for (let j = i; j < end; j++) {
    const c = b[j];
    if (c === QUOTE) {
      const after = stringEnd(b, j, end);
      if (after < 0) return -1;
      j = after - 1;
    } else if (c === LBRACE || c === LBRACKET) {
      if (depth === MAX_DEPTH) return -1;
      objects = (objects << 1) | (c === LBRACE ? 1 : 0);
      depth++;
    } else if (c === RBRACE || c === RBRACKET) {
      if ((objects & 1) !== (c === RBRACE ? 1 : 0)) return -1;
      objects >>>= 1;
      if (--depth === 0) return j + 1;
    }
  }
  return -1;
}

/** Index after a number or literal starting at `i`. */
function literalEnd(b: Buffer, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (c === COMMA || c === RBRACE || c === RBRACKET || c === SPACE || c === LF || c === CR || c === TAB) break;
    i++;
  }
  return i;
}

/** Whether `b[s, e)` is exactly `word`. */
function bytesAre(b: Buffer, s: number, e: number, word: Uint8Array): boolean {
  if (e - s !== word.length) return false;
  for (let k = 0; k < word.length; k++) if (b[s + k] !== word[k]) return false;
  return true;
}

/** Whether `b[s, e)` is a non-negative integer as JSON writes it (`0`, `17`): the shape the AC gives `seqNum`. */
function plainInteger(b: Buffer, s: number, e: number): boolean {
  if (e <= s || (b[s] === ZERO && e - s > 1)) return false;
  for (let k = s; k < e; k++) {
    const c = b[k] ?? 0;
    if (c < ZERO || c > NINE) return false;
  }
  return true;
}

/** Whether the key `b[s, e)` (without quotes) contains an escape that makes it read as `seqNum`. */
function escapedSeqNum(b: Buffer, s: number, e: number): boolean {
  let escaped = false;
  for (let k = s; k < e && !escaped; k++) escaped = b[k] === BACKSLASH;
  if (!escaped) return false;
  try {
    return JSON.parse(b.toString('utf8', s - 1, e + 1)) === 'seqNum';
  } catch {
    return false;
  }
}

/**
 * Reads the JSON object in `b[start, end)` (whitespace around it allowed) and finds its top-level
 * `seqNum` member. SEQNUM_FOUND fills `out.from`/`out.to` with the bytes to cut; the member's
 * value must be a plain non-negative integer and appear once, else SEQNUM_UNREWRITABLE.
 */
export function findSeqNumMember(b: Buffer, start: number, end: number, out: SeqNumMember): SeqNumVerdict {
  out.from = -1;
  out.to = -1;
  out.notification = false;
  let i = skipWhitespace(b, start, end);
  if (i >= end || b[i] !== LBRACE) return SEQNUM_UNREWRITABLE;
  i = skipWhitespace(b, i + 1, end);
  if (i < end && b[i] === RBRACE) return skipWhitespace(b, i + 1, end) === end ? SEQNUM_ABSENT : SEQNUM_UNREWRITABLE;
  let previousValueEnd = -1;
  let dataType = 0; // 0: no string dataType, 1: "notification", 2: another string
  let hasValue = false;
  let hasAdData = false;
  for (;;) {
    if (i >= end || b[i] !== QUOTE) return SEQNUM_UNREWRITABLE;
    const keyStart = i;
    const keyEnd = stringEnd(b, i, end);
    if (keyEnd < 0) return SEQNUM_UNREWRITABLE;
    i = skipWhitespace(b, keyEnd, end);
    if (i >= end || b[i] !== COLON) return SEQNUM_UNREWRITABLE;
    const valueStart = skipWhitespace(b, i + 1, end);
    if (valueStart >= end) return SEQNUM_UNREWRITABLE;
    const first = b[valueStart];
    const valueEnd = first === QUOTE ? stringEnd(b, valueStart, end)
      : first === LBRACE || first === LBRACKET ? nestedEnd(b, valueStart, end)
        : literalEnd(b, valueStart, end);
    if (valueEnd <= valueStart) return SEQNUM_UNREWRITABLE;
    i = skipWhitespace(b, valueEnd, end);
    if (i >= end) return SEQNUM_UNREWRITABLE;
    const next = b[i];
    const nameStart = keyStart + 1;
    const nameEnd = keyEnd - 1;
    // By length first: most keys are ruled out without reading them.
    const nameLength = nameEnd - nameStart;
    if (nameLength === 6 && bytesAre(b, nameStart, nameEnd, SEQNUM)) {
      if (out.from !== -1 || !plainInteger(b, valueStart, valueEnd)) return SEQNUM_UNREWRITABLE;
      if (previousValueEnd !== -1) {
        out.from = previousValueEnd;
        out.to = valueEnd;
      } else {
        out.from = keyStart;
        out.to = next === COMMA ? skipWhitespace(b, i + 1, end) : valueEnd;
      }
    } else if (nameLength === 8 && bytesAre(b, nameStart, nameEnd, DATA_TYPE)) {
      dataType = first !== QUOTE ? 0 : bytesAre(b, valueStart, valueEnd, NOTIFICATION) ? 1 : 2;
    } else if (nameLength === 5 && bytesAre(b, nameStart, nameEnd, VALUE)) {
      hasValue = true;
    } else if (nameLength === 6 && bytesAre(b, nameStart, nameEnd, AD_DATA)) {
      hasAdData = true;
    } else if (nameLength > 6 && escapedSeqNum(b, nameStart, nameEnd)) {
      // Only a key longer than `seqNum` can spell it with an escape.
      return SEQNUM_UNREWRITABLE;
    }
    previousValueEnd = valueEnd;
    if (next === COMMA) {
      i = skipWhitespace(b, i + 1, end);
      continue;
    }
    if (next !== RBRACE || skipWhitespace(b, i + 1, end) !== end) return SEQNUM_UNREWRITABLE;
    break;
  }
  out.notification = dataType === 1 || (dataType === 0 && hasValue && !hasAdData);
  return out.from === -1 ? SEQNUM_ABSENT : SEQNUM_FOUND;
}
