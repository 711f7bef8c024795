/**
 * Values kept per combination of label values: nested Maps keyed by the values themselves, one
 * level per label. A lookup is one `Map.get` per label and builds no key string (route templates,
 * methods, outcome names and transports are constant strings whose hashes V8 keeps), so the hot
 * path can afford one per request. The one way the proxy caches anything by label combination: the
 * metric families' series, the exchange recorder's cells, the gateway counts, the access log's parts.
 *
 * Keys are positional and optional so that no call allocates an array; a tree is always used
 * with the same number of keys (up to six), and `undefined` is never a key.
 */
export type LabelKey = string | number | object;

type Level = Map<LabelKey, unknown>;

/** The next level under `key`, created when missing. */
function below(level: Level, key: LabelKey): Level {
  let next = level.get(key) as Level | undefined;
  if (next === undefined) {
    next = new Map();
    level.set(key, next);
  }
  return next;
}

/** Values by label combination; `K` is the keys of one combination, in label order. */
export interface LabelTree<K extends readonly LabelKey[], V> {
  /** The value of this combination, made on first use. */
  get(...keys: K): V;
  /** Forgets a combination (its value is made again on the next `get`); returns what it held. */
  delete(...keys: K): V | undefined;
  /** Forgets every combination. */
  clear(): void;
}

/**
 * A tree whose values `make` builds on first `get`, from the same keys. The interface's rest
 * parameters are types only: the implementation takes the keys one by one, so a call allocates
 * nothing.
 */
export function createLabelTree<K extends readonly LabelKey[], V>(make: (...keys: K) => V): LabelTree<K, V> {
  return new Tree(make as unknown as (...keys: unknown[]) => V) as unknown as LabelTree<K, V>;
}

class Tree<V> {
  private readonly root: Level = new Map();

  constructor(private readonly make: (...keys: unknown[]) => V) {}

  get(k0: LabelKey, k1?: LabelKey, k2?: LabelKey, k3?: LabelKey, k4?: LabelKey, k5?: LabelKey): V {
    let level = this.root;
    let key = k0;
    if (k1 !== undefined) {
      level = below(level, key);
      key = k1;
      if (k2 !== undefined) {
        level = below(level, key);
        key = k2;
        if (k3 !== undefined) {
          level = below(level, key);
          key = k3;
          if (k4 !== undefined) {
            level = below(level, key);
            key = k4;
            if (k5 !== undefined) {
              level = below(level, key);
              key = k5;
            }
          }
        }
      }
    }
    let value = level.get(key) as V | undefined;
    if (value === undefined) {
      value = this.make(k0, k1, k2, k3, k4, k5);
      level.set(key, value);
    }
    return value;
  }

  delete(k0: LabelKey, k1?: LabelKey, k2?: LabelKey, k3?: LabelKey, k4?: LabelKey, k5?: LabelKey): V | undefined {
    const keys = [k0, k1, k2, k3, k4, k5].filter((k): k is LabelKey => k !== undefined);
    let level: Level | undefined = this.root;
    for (let i = 0; i < keys.length - 1 && level !== undefined; i++) level = level.get(keys[i] as LabelKey) as Level | undefined;
    const last = keys[keys.length - 1] as LabelKey;
    const value = level?.get(last) as V | undefined;
    level?.delete(last);
    return value;
  }

  clear(): void {
    this.root.clear();
  }
}
