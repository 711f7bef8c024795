import { describe, expect, it } from 'vitest';
import { createLabelTree } from '../../src/metrics/label-tree.js';

describe('label tree', () => {
  it('makes each combination once, from its own keys, at any depth up to six', () => {
    const made: string[] = [];
    const one = createLabelTree((a: string) => (made.push(a), { a }));
    const six = createLabelTree((a: string, b: string, c: number, d: string, e: string, f: string) => {
      made.push([a, b, c, d, e, f].join('/'));
      return { key: [a, b, c, d, e, f].join('/') };
    });
    expect(one.get('x')).toBe(one.get('x'));
    expect(one.get('y')).not.toBe(one.get('x'));
    const first = six.get('/api/x', 'GET', 200, 'upstream', 'response', 'capwap');
    expect(first).toEqual({ key: '/api/x/GET/200/upstream/response/capwap' });
    expect(six.get('/api/x', 'GET', 200, 'upstream', 'response', 'capwap')).toBe(first);
    expect(six.get('/api/x', 'GET', 200, 'upstream', 'response', 'mqtt')).not.toBe(first);
    expect(six.get('/api/x', 'GET', 502, 'upstream', 'response', 'capwap')).not.toBe(first);
    expect(made).toEqual(['x', 'y', '/api/x/GET/200/upstream/response/capwap', '/api/x/GET/200/upstream/response/mqtt', '/api/x/GET/502/upstream/response/capwap']);
  });

  it('keeps a number and its text apart, and objects by identity', () => {
    const tree = createLabelTree((a: string | number, b: object) => ({ a, b }));
    const key = { origin: 'proxy' };
    expect(tree.get(200, key)).not.toBe(tree.get('200', key));
    expect(tree.get(200, key)).toBe(tree.get(200, key));
    expect(tree.get(200, key)).not.toBe(tree.get(200, { origin: 'proxy' }));
  });

  it('keeps the empty string as a key of its own', () => {
    const tree = createLabelTree((a: string, b: string) => `${a}|${b}`);
    expect(tree.get('scan', '')).toBe('scan|');
    expect(tree.get('scan', 'shutdown')).toBe('scan|shutdown');
  });

  it('forgets a combination on delete and everything on clear', () => {
    let n = 0;
    const tree = createLabelTree((a: string, b: string) => ({ a, b, n: n++ }));
    const kept = tree.get('g1', 'capwap');
    const dropped = tree.get('g2', 'capwap');
    expect(tree.delete('g2', 'capwap')).toBe(dropped);
    expect(tree.delete('g3', 'capwap')).toBeUndefined();
    expect(tree.delete('g2', 'nothing')).toBeUndefined();
    expect(tree.get('g2', 'capwap')).not.toBe(dropped);
    expect(tree.get('g1', 'capwap')).toBe(kept);
    tree.clear();
    expect(tree.get('g1', 'capwap')).not.toBe(kept);
  });
});
