/**
 * Copy-only checks: banned words, required disclaimer and hashtags, copy length per platform.
 * They need nothing but the brief, so they run before any image is sourced (and again on the
 * final copy).
 */
import type { Brief, TemplateLayers, VoiceRules } from '../brand-types.js';
import type { PlatformPreset } from '../platforms.js';
import type { Finding } from './types.js';

type CopyField = 'headline' | 'body' | 'callToAction' | 'hashtags';
const FIELD_LABEL: Record<CopyField, string> = {
  headline: 'headline',
  body: 'body text',
  callToAction: 'call to action',
  hashtags: 'hashtags',
};

const chars = (s: string | undefined): number => (s ? [...s].length : 0);
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const norm = (s: string) => s.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();

/** Whole-word, case-insensitive pattern; spaces in a phrase match any whitespace. */
export function bannedWordPattern(term: string): RegExp {
  const body = term.trim().split(/\s+/).map(escapeRegExp).join('\\s+');
  return new RegExp(`(?<![\\p{L}\\p{N}_])${body}(?![\\p{L}\\p{N}_])`, 'giu');
}

/** Every hashtag in the brief: the explicit list plus any typed inline in the copy. */
export function collectHashtags(brief: Brief): string[] {
  const inline = [brief.headline, brief.body, brief.callToAction].flatMap((s) =>
    s ? [...s.matchAll(/(?<![\p{L}\p{N}_])#[\p{L}\p{N}_]+/gu)].map((m) => m[0]) : [],
  );
  return [...(brief.hashtags ?? []), ...inline];
}

/** The post text as published: body, call to action, then the explicit hashtags. */
export function composeCaption(brief: Brief): string {
  return [brief.body, brief.callToAction, (brief.hashtags ?? []).join(' ')].filter((s) => s?.trim()).join('\n\n');
}

export function checkBannedWords(brief: Brief, rules: VoiceRules): Finding[] {
  const fields: Array<[CopyField, string | undefined]> = [
    ['headline', brief.headline],
    ['body', brief.body],
    ['callToAction', brief.callToAction],
    ['hashtags', (brief.hashtags ?? []).join(' ')],
  ];
  const hits: Array<{ term: string; field: CopyField; match: string }> = [];
  for (const term of rules.bannedWords) {
    if (!term.trim()) continue;
    const re = bannedWordPattern(term);
    for (const [field, text] of fields) {
      if (!text) continue;
      for (const m of text.matchAll(re)) hits.push({ term, field, match: m[0] });
    }
  }
  if (hits.length === 0) return [];
  const list = [...new Set(hits.map((h) => `"${h.match}" (${FIELD_LABEL[h.field]})`))].join(', ');
  return [
    {
      check: 'banned_words',
      severity: 'error',
      message: `The copy uses words your brand does not allow: ${list}.`,
      fixHint: "Rephrase these passages without the banned words (see the brand's voice rules).",
      details: { hits },
    },
  ];
}

export function checkDisclaimer(brief: Brief, rules: VoiceRules): Finding[] {
  const required = rules.requiredDisclaimer?.trim();
  if (!required) return [];
  const haystack = norm([brief.headline, brief.body, brief.callToAction].filter(Boolean).join(' '));
  const needle = norm(required).replace(/[.!]+$/, '');
  if (haystack.includes(needle)) return [];
  return [
    {
      check: 'disclaimer',
      severity: 'error',
      message: 'The required disclaimer is missing from the copy.',
      fixHint: `Add this disclaimer to the body text, word for word: "${required}"`,
      details: { requiredDisclaimer: required },
    },
  ];
}

export function checkHashtags(brief: Brief, rules: VoiceRules, platforms: readonly PlatformPreset[]): Finding[] {
  const findings: Finding[] = [];
  const tags = collectHashtags(brief);
  const lower = new Set(tags.map((t) => t.toLowerCase()));
  const missing = rules.requiredHashtags.filter((t) => !lower.has(t.toLowerCase()));
  if (missing.length > 0) {
    // Required by the brand (a campaign or legal tag): a post without it cannot go out as is.
    findings.push({
      check: 'hashtags',
      severity: 'error',
      message: `Required hashtag${missing.length > 1 ? 's are' : ' is'} missing: ${missing.join(' ')}.`,
      fixHint: `Add ${missing.join(' ')} to the hashtags.`,
      details: { missing, required: rules.requiredHashtags },
    });
  }
  const unique = lower.size;
  if (unique > rules.maxHashtags) {
    findings.push({
      check: 'hashtags',
      severity: 'warning',
      message: `The post uses ${unique} hashtags; your brand allows at most ${rules.maxHashtags}.`,
      fixHint: `Keep the ${rules.maxHashtags} most relevant hashtags.`,
      details: { count: unique, max: rules.maxHashtags },
    });
  }
  const over = platforms.filter((p) => unique > p.copy.hashtags);
  if (over.length > 0) {
    findings.push({
      check: 'hashtags',
      severity: 'error',
      message: `Too many hashtags for ${over.map((p) => `${p.label} (max ${p.copy.hashtags})`).join(', ')}: the post has ${unique}.`,
      fixHint: `Use at most ${Math.min(...over.map((p) => p.copy.hashtags))} hashtags.`,
      details: { count: unique, limits: Object.fromEntries(over.map((p) => [p.name, p.copy.hashtags])) },
    });
  }
  if (tags.length > unique) {
    findings.push({
      check: 'hashtags',
      severity: 'info',
      message: 'Some hashtags appear more than once.',
      fixHint: 'Remove the duplicates; platforms count each tag once.',
      details: { tags },
    });
  }
  return findings;
}

/**
 * Copy the template has no place for: the template's choice (a photo-led layout may show only the
 * headline), so not an error, but a reviewer should know the image shows less than the brief says
 * and that this copy appears in the post text only. Information, at no cost to the score.
 */
export function checkShownOnImage(brief: Brief, template: TemplateLayers, rules?: VoiceRules): Finding[] {
  const fields: Array<{ field: 'body' | 'callToAction'; shown: boolean }> = [
    { field: 'body', shown: !!template.body },
    { field: 'callToAction', shown: !!template.cta },
  ];
  const disclaimer = rules?.requiredDisclaimer?.trim();
  const findings: Finding[] = [];
  for (const { field, shown } of fields) {
    const text = brief[field]?.trim();
    if (shown || !text) continue;
    const carriesDisclaimer = !!disclaimer && norm(text).includes(norm(disclaimer).replace(/[.!]+$/, ''));
    const quoted = text.length > 60 ? `${[...text].slice(0, 57).join('').trimEnd()}…` : text;
    findings.push({
      check: 'copy_length',
      severity: 'info',
      message:
        `The template shows no ${FIELD_LABEL[field]} on the image, so "${quoted}" appears in the post text only` +
        `${carriesDisclaimer ? ', and with it the required disclaimer' : ''}.`,
      fixHint: `Pick a template with a ${FIELD_LABEL[field]} area if ${carriesDisclaimer ? 'the disclaimer' : 'it'} must be on the image.`,
      details: { field, shownOnImage: false, ...(carriesDisclaimer ? { carriesDisclaimer: true } : {}) },
    });
  }
  return findings;
}

/**
 * On-image limits (headline, body when the template shows it, CTA when shown) are readability
 * warnings; the caption limit is the platform's own and exceeding it is an error. Findings are
 * grouped per field, listing the platforms concerned, so eight presets do not make eight findings.
 */
export function checkCopyLength(
  brief: Brief,
  platforms: readonly PlatformPreset[],
  template?: TemplateLayers,
): Finding[] {
  const findings: Finding[] = [];
  const onImage: Array<{
    field: 'headline' | 'body' | 'callToAction';
    limit: (p: PlatformPreset) => number;
    shown: boolean;
  }> = [
    { field: 'headline', limit: (p) => p.copy.headline, shown: true },
    { field: 'body', limit: (p) => p.copy.body, shown: !!template?.body },
    { field: 'callToAction', limit: (p) => p.copy.cta, shown: !template || !!template.cta },
  ];
  for (const { field, limit, shown } of onImage) {
    const len = chars(brief[field]);
    if (!shown || len === 0) continue;
    const over = platforms.filter((p) => len > limit(p));
    if (over.length === 0) continue;
    const tightest = Math.min(...over.map(limit));
    findings.push({
      check: 'copy_length',
      severity: 'warning',
      message:
        `The ${FIELD_LABEL[field]} has ${len} characters; on ${over.map((p) => p.label).join(', ')} ` +
        `it reads best under ${tightest} and may be shrunk or cut.`,
      fixHint: `Shorten the ${FIELD_LABEL[field]} to ${tightest} characters or fewer.`,
      details: { field, length: len, limits: Object.fromEntries(over.map((p) => [p.name, limit(p)])) },
    });
  }
  const caption = chars(composeCaption(brief));
  const overCaption = platforms.filter((p) => p.copy.caption !== null && caption > p.copy.caption);
  if (overCaption.length > 0) {
    const tightest = Math.min(...overCaption.map((p) => p.copy.caption as number));
    findings.push({
      check: 'copy_length',
      severity: 'error',
      message:
        `The post text (body, call to action and hashtags) has ${caption} characters; ` +
        `${overCaption.map((p) => `${p.label} allows ${p.copy.caption}`).join(', ')}.`,
      fixHint: `Cut the post text to ${tightest} characters or fewer (hashtags count too).`,
      details: {
        field: 'caption',
        length: caption,
        limits: Object.fromEntries(overCaption.map((p) => [p.name, p.copy.caption])),
      },
    });
  }
  return findings;
}
