import { describe, expect, it } from 'vitest';
import { checkBriefAgainstBrand, summarize, type Finding } from '../../../functions/domain/compliance/index.js';
import { bannedWordPattern, composeCaption } from '../../../functions/domain/compliance/copy-checks.js';
import { templateLayersSchema, type Brief } from '../../../functions/domain/brand-types.js';
import { brand, brief, layers } from '../render/fixtures.js';
import { TEMPLATES } from '../../../db/seed.js';
import { FALLBACK_TEMPLATE } from '../../../functions/app/pipeline/tasks.js';

const all = ['instagram_square', 'instagram_story', 'x', 'youtube_thumbnail'] as const;
const failing = (r: { checks: Record<string, string> }) =>
  Object.entries(r.checks)
    .filter(([, s]) => s !== 'ok' && s !== 'skipped')
    .map(([k]) => k)
    .sort();

describe('checkBriefAgainstBrand', () => {
  it('passes clean copy', () => {
    const r = checkBriefAgainstBrand(brief, brand(), all, { template: templateLayersSchema.parse(layers) });
    expect(r.findings).toEqual([]);
    expect(r).toMatchObject({ score: 100, decision: 'pass' });
    expect(r.checks.palette).toBe('skipped');
  });

  it('finds banned words as whole words, case-insensitively, in any field', () => {
    const b: Brief = {
      ...brief,
      headline: 'CHEAP thrills',
      body: 'Guaranteed   results every time. Cheapest? No: cheapskates welcome.',
      hashtags: ['#acme', '#cheap'],
    };
    const r = checkBriefAgainstBrand(b, brand(), all);
    expect(failing(r)).toEqual(['banned_words']);
    const hits = r.findings[0].details.hits as Array<{ term: string; field: string; match: string }>;
    expect(hits.map((h) => `${h.field}:${h.match}`)).toEqual([
      'headline:CHEAP',
      'hashtags:cheap',
      'body:Guaranteed   results',
    ]);
    expect(r.findings[0]).toMatchObject({ severity: 'error', message: expect.stringContaining('"CHEAP" (headline)') });
    expect(r.decision).toBe('review');
  });

  it('does not flag words that merely contain a banned word', () => {
    expect('cheapskate cheaper'.match(bannedWordPattern('cheap'))).toBeNull();
    expect('naïve cheap'.match(bannedWordPattern('cheap'))).toHaveLength(1);
    expect('a+b cost'.match(bannedWordPattern('a+b'))).toHaveLength(1);
  });

  it('tells the reviewer, at no cost, which copy the template does not show on the image', () => {
    const rules = brand({
      voiceRules: { requiredDisclaimer: 'Terms apply.', bannedWords: [], requiredHashtags: ['#acme'] },
    });
    const [band, top] = TEMPLATES.map((t) => templateLayersSchema.parse(t.layers));
    const onBand = checkBriefAgainstBrand(brief, rules, all, { template: band });
    expect(onBand.findings).toEqual([
      expect.objectContaining({
        check: 'copy_length',
        severity: 'info',
        details: { field: 'body', shownOnImage: false, carriesDisclaimer: true },
        message: expect.stringMatching(
          /template shows no body text on the image.*post text only, and with it the required disclaimer/,
        ),
      }),
    ]);
    expect(onBand).toMatchObject({ score: 100, decision: 'pass' });
    const onTop = checkBriefAgainstBrand(brief, rules, all, { template: top });
    expect(onTop.findings.map((f) => [f.severity, f.details.field])).toEqual([['info', 'callToAction']]);
    expect(onTop.findings[0].message).toContain('"Shop the collection"');
    // The fallback template shows every field; copy a brief leaves out is nothing to report.
    expect(checkBriefAgainstBrand(brief, rules, all, { template: FALLBACK_TEMPLATE }).findings).toEqual([]);
    expect(
      checkBriefAgainstBrand({ ...brief, callToAction: undefined }, rules, all, { template: top }).findings,
    ).toEqual([]);
  });

  it('requires the disclaimer, tolerant of case, spacing and a final period', () => {
    const rules = brand({
      voiceRules: { requiredDisclaimer: 'Terms   apply.', bannedWords: [], requiredHashtags: [] },
    });
    expect(failing(checkBriefAgainstBrand(brief, rules, all))).toEqual([]);
    const r = checkBriefAgainstBrand({ ...brief, body: 'New knitwear in store.' }, rules, all);
    expect(failing(r)).toEqual(['disclaimer']);
    expect(r.findings[0].fixHint).toContain('Terms   apply.');
  });

  it('reports missing required hashtags (an error: the post cannot go out without them) and too many hashtags', () => {
    const r = checkBriefAgainstBrand({ ...brief, hashtags: ['#autumn'] }, brand(), all);
    expect(failing(r)).toEqual(['hashtags']);
    expect(r.findings[0]).toMatchObject({ severity: 'error', message: 'Required hashtag is missing: #acme.' });
    const many = checkBriefAgainstBrand(
      { ...brief, hashtags: ['#acme', ...Array.from({ length: 11 }, (_, i) => `#tag${i}`)] },
      brand(),
      all,
    );
    expect(many.findings.map((f) => f.severity).sort()).toEqual(['error', 'warning']); // brand max 5; story/x allow 10
    expect(many.findings.find((f) => f.severity === 'error')!.details.limits).toEqual({ instagram_story: 10, x: 10 });
  });

  it('flags headlines too long for the image, and captions over a platform limit', () => {
    const long: Brief = { ...brief, headline: 'A headline that keeps going well past what a thumbnail can show' };
    const r = checkBriefAgainstBrand(long, brand(), all);
    expect(failing(r)).toEqual(['copy_length']);
    expect(r.findings[0]).toMatchObject({
      severity: 'warning',
      details: { field: 'headline', limits: { youtube_thumbnail: 40, instagram_story: 50 } },
    });
    const caption = checkBriefAgainstBrand({ ...brief, body: 'x'.repeat(300) }, brand(), all);
    const err = caption.findings.find((f) => f.severity === 'error')!;
    expect(err.details).toMatchObject({ field: 'caption', limits: { x: 280 } });
    expect(composeCaption({ ...brief, body: 'b' })).toBe('b\n\nShop the collection\n\n#acme #autumn');
  });
});

describe('summarize', () => {
  const f = (check: Finding['check'], severity: Finding['severity']): Finding => ({
    check,
    severity,
    message: '',
    fixHint: '',
    details: {},
  });

  it('costs 25 per error and 8 per warning, once per check, times the brand weight', () => {
    expect(summarize([f('palette', 'warning')]).score).toBe(92);
    expect(summarize([f('palette', 'error'), f('palette', 'warning'), f('palette', 'error')]).score).toBe(75);
    expect(summarize([f('palette', 'error'), f('contrast', 'warning')]).score).toBe(67);
    expect(summarize([f('palette', 'error')], { weights: { palette: 2 } }).score).toBe(50);
    expect(summarize([f('palette', 'error')], { weights: { palette: 0 } })).toMatchObject({
      score: 100,
      decision: 'pass',
    });
    expect(summarize([f('license', 'info')]).score).toBe(100);
  });

  it('decides by the brand thresholds', () => {
    expect(summarize([f('palette', 'warning')]).decision).toBe('pass');
    expect(summarize([f('palette', 'warning'), f('contrast', 'warning')]).decision).toBe('review'); // 84 < 85
    expect(summarize([f('palette', 'error'), f('contrast', 'error')]).decision).toBe('review'); // 50
    expect(summarize([f('palette', 'error'), f('contrast', 'error'), f('logo', 'warning')]).decision).toBe('reject'); // 42
    expect(summarize([f('palette', 'error')], { autoPass: 70 }).decision).toBe('pass');
  });

  it('never auto-passes an error on banned words, disclaimer or file size', () => {
    const r = summarize([f('banned_words', 'error')], { autoPass: 70 });
    expect(r).toMatchObject({ score: 75, decision: 'review', forcedReview: ['banned_words'] });
    expect(summarize([f('banned_words', 'error'), f('palette', 'error'), f('logo', 'error')]).decision).toBe('reject');
    expect(summarize([f('banned_words', 'error')], { autoPass: 70, weights: { banned_words: 0 } }).decision).toBe(
      'pass',
    );
  });
});
