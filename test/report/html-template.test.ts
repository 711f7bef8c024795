/** The status page's HTML template: every interpolation escaped unless it is SafeHtml. */
import { describe, expect, it } from 'vitest';
import { escapeHtml, html, join, raw, type SafeHtml } from '../../src/report/html-template.js';

const text = (fragment: SafeHtml): string => fragment.toString();

describe('html template', () => {
  it.each([
    ['&', '&amp;'],
    ['<', '&lt;'],
    ['>', '&gt;'],
    ['"', '&quot;'],
    ["'", '&#39;'],
    ['<script>alert("x" & \'y\')</script>', '&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;'],
    ['plain text · ≥ 1.5×', 'plain text · ≥ 1.5×'],
  ])('escapes %j in content and attributes', (value, escaped) => {
    expect(text(html`<td title="${value}">${value}</td>`)).toBe(`<td title="${escaped}">${escaped}</td>`);
    expect(escapeHtml(value)).toBe(escaped);
  });

  it('keeps the literal parts as written', () => {
    expect(text(html`<p class="note">p &lt; 0.01</p>`)).toBe('<p class="note">p &lt; 0.01</p>');
    expect(text(html``)).toBe('');
  });

  it('renders numbers, and null and undefined as nothing', () => {
    expect(text(html`${0}|${1.5}|${-2}|${null}|${undefined}|`)).toBe('0|1.5|-2|||');
  });

  it('nests fragments without escaping them twice', () => {
    const inner = html`<b>${'a & b'}</b>`;
    const outer = html`<td>${inner}</td>`;
    expect(text(outer)).toBe('<td><b>a &amp; b</b></td>');
    expect(text(html`<tr>${outer}</tr>`)).toBe('<tr><td><b>a &amp; b</b></td></tr>');
  });

  it('joins arrays of fragments and text, nested arrays too, escaping the text', () => {
    const cells = ['<x>', html`<i>ok</i>`, 3, [html`<b>${'"'}</b>`, "'"]];
    expect(text(html`<tr>${cells}</tr>`)).toBe('<tr>&lt;x&gt;<i>ok</i>3<b>&quot;</b>&#39;</tr>');
    expect(text(html`${[]}`)).toBe('');
  });

  it('joins with an escaped separator', () => {
    expect(text(join([html`<i>a</i>`, '<b>'], ' & '))).toBe('<i>a</i> &amp; &lt;b&gt;');
  });

  it('inserts raw() markup as is, and only that', () => {
    expect(text(html`<style>${raw('a > b { color: red }')}</style>`)).toBe('<style>a > b { color: red }</style>');
    expect(text(html`<style>${'a > b'}</style>`)).toBe('<style>a &gt; b</style>');
  });

  it('does not take a look-alike object for markup', () => {
    const forged = { toString: () => '<script>alert(1)</script>' } as unknown as string;
    expect(text(html`${forged}`)).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});
