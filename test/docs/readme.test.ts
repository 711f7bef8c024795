/**
 * README.md is the operator's guide: short, its newcomer commands true, every link it and the
 * docs make pointing at a file and a heading that exist, and its sidecar container snippet the
 * one deploy/kubernetes/ really runs.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const README = read('README.md');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');

/** The anchors a markdown file offers: its headings and its `<a id>` tags. */
function anchorsOf(path: string): Set<string> {
  const text = readFileSync(path, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return new Set([
    ...[...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1] ?? '')),
    ...[...text.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1] ?? ''),
  ]);
}

describe('README.md', () => {
  it('is a guide of at most 250 lines', () => {
    expect(README.split('\n').length).toBeLessThanOrEqual(250);
  });

  it('keeps the newcomer commands: the demo, the CI entry point and the test suite', () => {
    for (const command of ['npm ci && npm start', 'bash .ci/run', 'npm test']) expect(README).toContain(command);
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.start).toMatch(/cli\.js serve$/);
    expect(scripts.test).toBeDefined();
    expect(existsSync(join(ROOT, '.ci/run'))).toBe(true);
  });

  it('says the manifests\' image is a placeholder, and how to build and push one', () => {
    const image = /image: (ghcr\.io\/example\/\S+)/.exec(read('deploy/kubernetes/base/deployment.yaml'))?.[1] ?? 'no image';
    expect(README).toContain(image.replace(/:.*/, ''));
    expect(README).toMatch(/placeholder/);
    expect(README).toMatch(/docker build -t \S+ \./);
    expect(README).toMatch(/docker push \S+/);
  });

  it('its sidecar container snippet is the proxy container of deploy/kubernetes/', () => {
    type Container = { name: string; args?: string[]; env?: unknown[]; envFrom?: unknown[]; ports?: unknown[]; volumeMounts?: unknown[];
      readinessProbe?: { httpGet: unknown }; livenessProbe?: { httpGet: unknown } };
    const block = [...README.matchAll(/^```yaml\n([\s\S]*?)^```/gm)].map((m) => m[1] ?? '').find((b) => b.includes('name: cassia-ac-proxy'));
    const snippet = (parse(block ?? '') as { containers: Container[] }).containers;
    const deployment = parseAllDocuments(read('deploy/kubernetes/base/deployment.yaml'))[0]?.toJS() as { spec: { template: { spec: { containers: Container[] } } } };
    const manifest = deployment.spec.template.spec.containers;
    const proxy = (list: Container[]) => list.find((c) => c.name === 'cassia-ac-proxy');
    const shape = (c: Container | undefined) => ({
      args: c?.args, env: c?.env, envFrom: c?.envFrom, ports: c?.ports, volumeMounts: c?.volumeMounts,
      readiness: c?.readinessProbe?.httpGet, liveness: c?.livenessProbe?.httpGet,
    });
    expect(shape(proxy(snippet))).toEqual(shape(proxy(manifest)));
    const appUrl = (list: Container[]) => list.find((c) => c.name === 'app')?.env;
    expect(appUrl(snippet)).toEqual(appUrl(manifest));
  });
});

describe('links between the documents', () => {
  const docs = ['README.md', 'bench/README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

  it.each(docs)('%s: every relative link points at a file, and at a heading of it', (doc) => {
    const text = read(doc).replace(/^```[\s\S]*?^```/gm, '');
    const broken: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!target || /^[a-z]+:/.test(target)) continue;
      const [file, anchor] = target.split('#');
      const path = file ? resolve(ROOT, dirname(doc), file) : join(ROOT, doc);
      if (!existsSync(path)) broken.push(`${target}: no such file`);
      else if (anchor && path.endsWith('.md') && !anchorsOf(path).has(anchor)) broken.push(`${target}: no such heading`);
    }
    expect(broken).toEqual([]);
  });
});
