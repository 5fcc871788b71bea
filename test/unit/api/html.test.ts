import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, escapeHtml, pageCsp } from '../../../functions/shared/http/html.js';

describe('escapeHtml', () => {
  it('escapes the five characters that can end text or an attribute, and nothing else', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
    );
    expect(escapeHtml('Café — 東京 🙂')).toBe('Café — 東京 🙂');
    expect(escapeHtml(null)).toBe('');
    expect(escapeHtml(42)).toBe('42');
  });
});

describe('contentSecurityPolicy', () => {
  it('denies everything not listed, framing and <base> included', () => {
    expect(contentSecurityPolicy()).toBe(
      "default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
  });

  it('gives the dashboard pages their nonce for style and script, same-origin fetches and inline images', () => {
    expect(pageCsp('n0')).toBe(
      "default-src 'none'; script-src 'nonce-n0'; style-src 'nonce-n0'; img-src 'self' data:; connect-src 'self'; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
  });

  it('runs no script without `scripts`, and lists each image origin once', () => {
    const csp = contentSecurityPolicy({
      nonce: 'n1',
      img: ["'self'", 'https://cdn.example.com', 'https://cdn.example.com'],
    });
    expect(csp).toBe(
      "default-src 'none'; style-src 'nonce-n1'; img-src 'self' https://cdn.example.com; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    expect(csp).not.toContain('script-src');
  });
});
