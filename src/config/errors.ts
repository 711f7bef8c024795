/**
 * Configuration errors: one `ConfigError` carrying every problem found, each a readable line
 * that names where the value came from, the key, the (masked) value and what was expected.
 */

/** One bad value, unknown key or unreadable file. */
export interface ConfigProblem {
  /** Where it came from: a file path as given, `command line` or `environment`. */
  source: string;
  /** Dotted config key (`timeouts.connect`), or `''` for a whole file or an unknown flag. */
  key: string;
  /** The full human line, e.g. `config.yaml: unknown key "timeouts.conect" — did you mean "timeouts.connect"?` */
  message: string;
}

/**
 * Thrown by `loadConfig` (and the reloader) when anything is wrong. Match on
 * `code === 'CONFIG_INVALID'` (see `isConfigError`), not `instanceof`: two copies of this
 * module may be loaded.
 */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID' as const;
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = Object.freeze([...problems]);
  }
}

/** True for a `ConfigError` from any copy of this module. */
export function isConfigError(error: unknown): error is ConfigError {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'CONFIG_INVALID'
    && Array.isArray((error as { problems?: unknown }).problems);
}

/** Renders a bad value for an error line: strings quoted, objects as short JSON. */
export function renderValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Edit distance, for "did you mean". */
export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The candidate closest to `word`, if close enough to be a plausible typo (distance at most a
 * third of the word, minimum 2, or a prefix either way). Case differences count as half an edit.
 */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    // A known key with extra letters (`endianness` for `endian`) is a likely mix-up too.
    const prefix = word.length > 3 && candidate.length > 3 && (word.startsWith(candidate) || candidate.startsWith(word)) ? 1 : Infinity;
    const score = Math.min(prefix, levenshtein(word, candidate), levenshtein(word.toLowerCase(), candidate.toLowerCase()) + 0.5);
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return bestScore <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}
