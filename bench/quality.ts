/**
 * Quality of what reaches a reviewer: a corpus of varied briefs through the local stack (HTTP API
 * -> the synthesized state machine -> the real handlers -> PostgreSQL, s3rver, sharp) against the
 * Freepik emulator, whose stock results vary in colour and size per query like real ones.
 *
 * The corpus: four brands with different palettes and thresholds (the two seeded ones, a strict
 * outdoor brand with maxUpscale 1.2, a loose citrus one with maxUpscale 2 and contrast 3:1), short
 * and long copy, some emoji, copy in Cyrillic (Russian), Greek, Arabic (right to left) and CJK
 * (Chinese, Japanese) in headline, body and call to action, stock and AI, every platform preset,
 * both seeded templates and the fallback one, plus two briefs whose copy no image can fix (they
 * must end before any Freepik call). Translated bodies end with the brand's required disclaimer
 * as the brand wrote it (its legal line is in English), so right-to-left bodies carry a
 * left-to-right sentence too.
 *
 * Reports: the share of requests reaching a reviewer (the approval wait, or auto-approval), error
 * findings by check, findings caused by our layout (text cut or left out, safe zone, contrast,
 * missing glyphs, logo size and clear space, file size) against those caused by the input
 * (palette, resolution, licence, the brief's copy against platform limits and brand rules, brand
 * font settings), automatic adjustments the renderer made (by kind and text slot, with an example
 * reason each), and Freepik calls and credits per request. Information findings (copy a template
 * does not show) are counted apart: they cost nothing and point at no defect.
 *
 *   npm run bench -- quality            (QUALITY_DUMP_DIR=/some/dir also writes every variant there)
 *
 * Prints tables and writes bench/results/quality.json.
 */
import '../local/workflow/polyfills.js';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import sharp from 'sharp';
import { renderLogo } from '../db/seed.js';
import {
  brandColorsSchema,
  brandFontsSchema,
  brandLogoSchema,
  complianceThresholdsSchema,
  voiceRulesSchema,
  type BrandColors,
} from '../functions/domain/brand-types.js';
import type { Finding } from '../functions/domain/compliance/index.js';
import type { Adjustment } from '../functions/domain/rendering/types.js';
import { platformNames, type PlatformName } from '../functions/domain/platforms.js';
import type { WorkflowEvent } from '../local/workflow/local-runner.js';
import { startLocalStack, type LocalStack } from '../local/stack/stack.js';
import { benchStackOptions } from './bench-stack.js';

// ---- corpus -------------------------------------------------------------------------------------

interface BrandSpec {
  key: string;
  /** Seeded brand (by org slug) or one this bench creates in the Acme organization. */
  seeded?: 'acme-coffee' | 'globex-fitness';
  name?: string;
  palette?: BrandColors['palette'];
  thresholds?: Record<string, unknown>;
  disclaimer: string;
  hashtag: string;
  bannedWord: string;
  queries: string[];
  prompts: string[];
  headlines: { short: string; long: string; emoji: string };
  bodies: { short: string; long: string };
  cta: string;
  /** The same copy in other scripts (the disclaimer stays as the brand wrote it). */
  scripts: Record<Script, LocalCopy>;
}

type Script = 'cyrillic' | 'greek' | 'arabic' | 'cjk';
const SCRIPTS: Script[] = ['cyrillic', 'greek', 'arabic', 'cjk'];
interface LocalCopy {
  headlines: { short: string; long: string };
  bodies: { short: string; long: string };
  cta: string;
}

const BRANDS: BrandSpec[] = [
  {
    key: 'acme',
    seeded: 'acme-coffee',
    disclaimer: 'Offer valid at participating stores only.',
    hashtag: '#AcmeCoffee',
    bannedWord: 'cheap',
    queries: [
      'latte art',
      'coffee cup',
      'espresso machine',
      'coffee beans roasting',
      'barista pouring milk',
      'cafe morning',
    ],
    prompts: [
      'a ceramic cup of coffee on a wooden table at dawn',
      'freshly roasted coffee beans in a burlap sack',
      'a barista pouring latte art, warm light',
    ],
    headlines: {
      short: 'Slow mornings, fresh roasts',
      long: 'Our single-origin Ethiopian roast is back for a limited autumn season',
      emoji: 'Fresh roast is in ☕✨',
    },
    bodies: {
      short: 'New beans every Friday.',
      long: 'Floral, bright and roasted in small batches by our team every Friday morning, then brewed the way you like it.',
    },
    cta: 'Visit us today',
    scripts: {
      cyrillic: {
        headlines: {
          short: 'Медленное утро, свежая обжарка',
          long: 'Наша эфиопская обжарка из одного региона снова с нами, только этой осенью',
        },
        bodies: {
          short: 'Новые зёрна каждую пятницу.',
          long: 'Цветочный и яркий вкус: наша команда обжаривает зёрна небольшими партиями каждую пятницу утром, а мы заварим их так, как вы любите.',
        },
        cta: 'Заходите сегодня',
      },
      greek: {
        headlines: {
          short: 'Αργά πρωινά, φρέσκο καβούρδισμα',
          long: 'Ο μονοποικιλιακός καφές μας από την Αιθιοπία επιστρέφει για λίγο αυτό το φθινόπωρο',
        },
        bodies: {
          short: 'Νέοι κόκκοι κάθε Παρασκευή.',
          long: 'Ανθικός και φωτεινός, καβουρδισμένος σε μικρές παρτίδες από την ομάδα μας κάθε Παρασκευή πρωί και φτιαγμένος όπως σας αρέσει.',
        },
        cta: 'Ελάτε σήμερα',
      },
      arabic: {
        headlines: { short: 'صباحات هادئة وقهوة طازجة', long: 'قهوتنا الإثيوبية أحادية المنشأ تعود لموسم خريفي محدود' },
        bodies: {
          short: 'حبوب جديدة كل يوم جمعة.',
          long: 'نكهة زهرية مشرقة، نحمّصها على دفعات صغيرة كل صباح جمعة، ونحضّرها كما تحب تمامًا.',
        },
        cta: 'زورونا اليوم',
      },
      cjk: {
        headlines: { short: '慢享清晨，新鲜烘焙', long: '我们的埃塞俄比亚单一产地咖啡回来了，仅限今年秋季限量供应' },
        bodies: {
          short: '每周五都有新鲜咖啡豆。',
          long: '花香明亮，由我们的团队每周五清晨小批量烘焙，再按您喜欢的方式冲煮。',
        },
        cta: '今天就来店里',
      },
    },
  },
  {
    key: 'globex',
    seeded: 'globex-fitness',
    disclaimer: 'Consult your doctor before starting a new exercise program.',
    hashtag: '#GlobexFit',
    bannedWord: 'miracle',
    queries: ['gym workout', 'running shoes', 'yoga class', 'fitness training', 'cycling sprint'],
    prompts: [
      'an athlete sprinting on a track at sunrise, electric blue light',
      'a modern gym with dumbbells, energetic',
    ],
    headlines: {
      short: 'Move more, feel better',
      long: 'Twelve weeks of coached strength training built around your own schedule',
      emoji: 'New class drop 💪🔥',
    },
    bodies: {
      short: 'Classes start Monday.',
      long: 'Small groups, real coaches and a plan that adapts to you every week, from your first session to your first race.',
    },
    cta: 'Book a class',
    scripts: {
      cyrillic: {
        headlines: {
          short: 'Двигайтесь больше, живите лучше',
          long: 'Двенадцать недель силовых тренировок с тренером по вашему собственному расписанию',
        },
        bodies: {
          short: 'Занятия начинаются в понедельник.',
          long: 'Небольшие группы, настоящие тренеры и план, который подстраивается под вас каждую неделю, от первого занятия до первого забега.',
        },
        cta: 'Записаться',
      },
      greek: {
        headlines: {
          short: 'Κινηθείτε περισσότερο',
          long: 'Δώδεκα εβδομάδες προπόνησης δύναμης με προπονητή, στο δικό σας πρόγραμμα',
        },
        bodies: {
          short: 'Τα μαθήματα ξεκινούν τη Δευτέρα.',
          long: 'Μικρές ομάδες, πραγματικοί προπονητές και ένα πλάνο που προσαρμόζεται σε εσάς κάθε εβδομάδα, ως τον πρώτο σας αγώνα.',
        },
        cta: 'Κλείστε θέση',
      },
      arabic: {
        headlines: {
          short: 'تحرّك أكثر، اشعر بتحسّن',
          long: 'اثنا عشر أسبوعًا من تمارين القوة مع مدرّب، مصممة حول جدولك الخاص',
        },
        bodies: {
          short: 'تبدأ الحصص يوم الاثنين.',
          long: 'مجموعات صغيرة ومدرّبون حقيقيون وخطة تتكيف معك كل أسبوع، من أول حصة حتى أول سباق لك.',
        },
        cta: 'احجز حصتك',
      },
      cjk: {
        headlines: {
          short: 'もっと動いて、もっと元気に',
          long: 'あなたのスケジュールに合わせた、コーチ付き12週間の筋力トレーニング',
        },
        bodies: {
          short: 'クラスは月曜日スタート。',
          long: '少人数のグループ、本物のコーチ、そして毎週あなたに合わせて変わるプラン。最初のセッションから最初のレースまで。',
        },
        cta: 'クラスを予約',
      },
    },
  },
  {
    key: 'fjord',
    name: 'Fjord Outdoor',
    palette: [
      { name: 'Fjord', hex: '#1F4E79', role: 'primary' },
      { name: 'Moss', hex: '#4A7C59', role: 'secondary' },
      { name: 'Glacier', hex: '#9CC3D5', role: 'accent' },
      { name: 'Snow', hex: '#F7FAFC', role: 'background' },
      { name: 'Slate', hex: '#1A202C', role: 'text' },
    ],
    thresholds: { autoPass: 90, autoReject: 40, minContrast: 4.5, maxUpscale: 1.2, weights: { palette: 1.5 } },
    disclaimer: 'Conditions apply.',
    hashtag: '#FjordOutdoor',
    bannedWord: 'extreme',
    queries: ['mountain lake', 'forest trail', 'ocean kayak', 'snow hike', 'river camping'],
    prompts: ['a kayak on a calm fjord under a blue sky', 'a hiker on a forest trail by a glacier lake'],
    headlines: {
      short: 'Go further north',
      long: 'Everything you need for a week on the trail, packed light and built to last',
      emoji: 'Trail season is here 🏔️🛶',
    },
    bodies: {
      short: 'Gear that lasts.',
      long: 'Waterproof, repairable and tested on real fjord crossings by our guides before it ever reaches a shelf.',
    },
    cta: 'Shop the gear',
    scripts: {
      cyrillic: {
        headlines: {
          short: 'Дальше на север',
          long: 'Всё, что нужно для недели в походе: лёгкое снаряжение, сделанное на годы',
        },
        bodies: {
          short: 'Снаряжение, которое служит долго.',
          long: 'Непромокаемое, ремонтопригодное и проверенное нашими гидами на настоящих переходах по фьордам, прежде чем попасть на полку.',
        },
        cta: 'Смотреть снаряжение',
      },
      greek: {
        headlines: {
          short: 'Πιο μακριά στον βορρά',
          long: 'Ό,τι χρειάζεστε για μια εβδομάδα στο μονοπάτι, ελαφρύ και φτιαγμένο να αντέχει',
        },
        bodies: {
          short: 'Εξοπλισμός που αντέχει.',
          long: 'Αδιάβροχος, επισκευάσιμος και δοκιμασμένος από τους οδηγούς μας σε πραγματικές διασχίσεις φιόρδ πριν φτάσει στο ράφι.',
        },
        cta: 'Δείτε τον εξοπλισμό',
      },
      arabic: {
        headlines: { short: 'انطلق أبعد نحو الشمال', long: 'كل ما تحتاجه لأسبوع على الدرب، خفيف الوزن ومصنوع ليدوم' },
        bodies: {
          short: 'معدّات تدوم طويلًا.',
          long: 'مقاومة للماء وقابلة للإصلاح، جرّبها مرشدونا في عبور حقيقي للمضايق قبل أن تصل إلى الرفوف.',
        },
        cta: 'تسوّق المعدّات',
      },
      cjk: {
        headlines: { short: '向北，走得更远', long: '一周徒步所需的一切装备，轻便耐用，经久不衰' },
        bodies: { short: '经久耐用的装备。', long: '防水、可维修，并在上架之前由我们的向导在真实的峡湾穿越中测试。' },
        cta: '选购装备',
      },
    },
  },
  {
    key: 'citrus',
    name: 'Sunny Citrus',
    palette: [
      { name: 'Lemon', hex: '#F4C430', role: 'primary' },
      { name: 'Orange', hex: '#FF8C1A', role: 'secondary' },
      { name: 'Leaf', hex: '#3A7D44', role: 'accent' },
      { name: 'Cream', hex: '#FFFDF5', role: 'background' },
      { name: 'Ink', hex: '#2D2A26', role: 'text' },
    ],
    thresholds: { autoPass: 80, autoReject: 45, minContrast: 3, maxUpscale: 2 },
    disclaimer: 'While stocks last.',
    hashtag: '#SunnyCitrus',
    bannedWord: 'artificial',
    queries: ['lemon tree', 'summer juice', 'orange citrus', 'sunny orchard', 'honey lemonade'],
    prompts: ['a glass of fresh lemonade in summer sun', 'oranges and lemons on a yellow table'],
    headlines: {
      short: 'Squeezed this morning',
      long: 'Cold-pressed lemon, orange and ginger, bottled within an hour of picking',
      emoji: 'Sunshine in a bottle 🍋☀️',
    },
    bodies: {
      short: 'Pure fruit, nothing else.',
      long: 'We press whole fruit from three family orchards every morning and deliver it chilled to your door the same day.',
    },
    cta: 'Order now',
    scripts: {
      cyrillic: {
        headlines: {
          short: 'Выжато этим утром',
          long: 'Лимон, апельсин и имбирь холодного отжима в бутылке через час после сбора',
        },
        bodies: {
          short: 'Только фрукты, ничего лишнего.',
          long: 'Каждое утро мы отжимаем целые фрукты из трёх семейных садов и в тот же день привозим сок охлаждённым к вашей двери.',
        },
        cta: 'Заказать',
      },
      greek: {
        headlines: {
          short: 'Στυμμένο σήμερα το πρωί',
          long: 'Λεμόνι, πορτοκάλι και τζίντζερ ψυχρής έκθλιψης, εμφιαλωμένα μέσα σε μία ώρα',
        },
        bodies: {
          short: 'Μόνο φρούτα, τίποτα άλλο.',
          long: 'Στύβουμε ολόκληρα φρούτα από τρία οικογενειακά περιβόλια κάθε πρωί και τα φέρνουμε δροσερά στην πόρτα σας την ίδια μέρα.',
        },
        cta: 'Παραγγείλτε τώρα',
      },
      arabic: {
        headlines: {
          short: 'معصور هذا الصباح',
          long: 'ليمون وبرتقال وزنجبيل معصور على البارد، معبأ خلال ساعة من القطف',
        },
        bodies: {
          short: 'فاكهة نقية، لا شيء غيرها.',
          long: 'نعصر الفاكهة الكاملة من ثلاثة بساتين عائلية كل صباح ونوصلها مبردة إلى بابك في اليوم نفسه.',
        },
        cta: 'اطلب الآن',
      },
      cjk: {
        headlines: {
          short: 'けさ搾りたて',
          long: 'レモン、オレンジ、ジンジャーのコールドプレス。収穫から1時間以内にボトリング',
        },
        bodies: {
          short: '果物だけ、ほかには何も。',
          long: '3つの家族経営の果樹園の果物を毎朝まるごと搾り、その日のうちに冷やしてご自宅へお届けします。',
        },
        cta: '今すぐ注文',
      },
    },
  },
];

const PLATFORM_SETS: PlatformName[][] = [
  ['instagram_square'],
  ['instagram_story'],
  ['instagram_portrait', 'pinterest'],
  ['facebook', 'linkedin'],
  ['x', 'youtube_thumbnail'],
  ['instagram_square', 'instagram_story', 'facebook'],
  [...platformNames],
];

interface CorpusItem {
  id: string;
  brand: string;
  source: 'stock' | 'ai';
  copy: 'short' | 'long' | 'emoji';
  /** Copy in another script (its length is `copy`). */
  script?: Script;
  platforms: PlatformName[];
  template: 'Bottom band' | 'Top headline' | 'brand default';
  /** The brief's copy has an error no image can fix: it must end at "Validate brief". */
  invalidCopy?: 'missing_disclaimer' | 'banned_word';
  body: Record<string, unknown>;
}

function corpus(): Omit<CorpusItem, 'body'>[] {
  const items: Omit<CorpusItem, 'body'>[] = [];
  const copies = ['short', 'long', 'emoji'] as const;
  const templates = ['Bottom band', 'Top headline', 'brand default'] as const;
  for (const [bi, b] of BRANDS.entries()) {
    for (let i = 0; i < 12; i++) {
      items.push({
        id: `${b.key}-${i + 1}`,
        brand: b.key,
        source: i % 3 === 2 ? 'ai' : 'stock',
        copy: copies[(i + bi) % 3],
        platforms: PLATFORM_SETS[(i + bi * 2) % PLATFORM_SETS.length],
        template: templates[(i + bi) % 3],
      });
    }
  }
  // Each script with every brand, short and long, on every template and preset set.
  for (const [bi, b] of BRANDS.entries()) {
    for (const [si, script] of SCRIPTS.entries()) {
      items.push({
        id: `${b.key}-${script}`,
        brand: b.key,
        source: (bi + si) % 3 === 2 ? 'ai' : 'stock',
        copy: (bi + si) % 2 ? 'long' : 'short',
        script,
        platforms: PLATFORM_SETS[(si * 2 + bi) % PLATFORM_SETS.length],
        template: templates[(bi + 2 * si) % 3],
      });
    }
  }
  items.push({
    id: 'acme-bad-1',
    brand: 'acme',
    source: 'ai',
    copy: 'short',
    platforms: ['instagram_square'],
    template: 'brand default',
    invalidCopy: 'missing_disclaimer',
  });
  items.push({
    id: 'globex-bad-1',
    brand: 'globex',
    source: 'stock',
    copy: 'short',
    platforms: ['facebook'],
    template: 'brand default',
    invalidCopy: 'banned_word',
  });
  return items;
}

// ---- setup ----------------------------------------------------------------------------------------

interface BrandHandle {
  spec: BrandSpec;
  orgId: string;
  brandId: string;
  creator: string;
  templateIds: Record<string, string>;
}

async function createBrand(
  stack: LocalStack,
  owner: postgres.Sql,
  spec: BrandSpec,
  org: LocalStack['seed']['orgs'][number],
): Promise<string> {
  const ownerId = org.userIds['owner@acme.test'];
  const logo = await renderLogo(spec.name!.split(' ')[0].toUpperCase(), spec.palette!);
  const meta = await sharp(logo).metadata();
  return owner.begin(async (tx) => {
    await tx`SELECT set_config('app.org_id', ${org.id}, true)`;
    const [brand] = await tx<{ id: string }[]>`
      INSERT INTO brand_profiles (organization_id, name, description, colors, fonts, voice_rules, compliance_thresholds, default_workflow_id, created_by)
      VALUES (${org.id}, ${spec.name!}, 'Quality bench brand', ${tx.json(brandColorsSchema.parse({ palette: spec.palette, maxDeltaE: 20 }))},
        ${tx.json(brandFontsSchema.parse({ headline: 'Inter', body: 'Inter', allowed: ['Inter'] }))},
        ${tx.json(
          voiceRulesSchema.parse({
            bannedWords: [spec.bannedWord],
            requiredDisclaimer: spec.disclaimer,
            requiredHashtags: [spec.hashtag],
            maxHashtags: 5,
          }),
        )},
        ${tx.json(complianceThresholdsSchema.parse(spec.thresholds ?? {}) as never)}, ${org.workflowId}, ${ownerId})
      RETURNING id`;
    const key = `orgs/${org.id}/brands/${brand.id}/assets/logo.png`;
    await stack.store.put(key, logo, 'image/png');
    const [asset] = await tx<{ id: string }[]>`
      INSERT INTO brand_assets (organization_id, brand_id, kind, name, s3_key, content_type, bytes, width, height, sha256, status, tags, license, created_by)
      VALUES (${org.id}, ${brand.id}, 'logo', ${`${spec.name} logo`}, ${key}, 'image/png', ${logo.length}, ${meta.width!}, ${meta.height!},
        ${createHash('sha256').update(logo).digest('hex')}, 'ready', ${['logo']}, ${tx.json({ type: 'owned', attributionRequired: false })}, ${ownerId})
      RETURNING id`;
    await tx`UPDATE brand_profiles SET logo = ${tx.json(brandLogoSchema.parse({ assetId: asset.id, placement: 'top-right' }))} WHERE id = ${brand.id}`;
    return brand.id;
  });
}

function briefFor(b: BrandSpec, item: Omit<CorpusItem, 'body'>): Record<string, unknown> {
  if (item.script) {
    const l = b.scripts[item.script];
    const len = item.copy === 'long' ? 'long' : 'short';
    return {
      headline: l.headlines[len],
      body: `${l.bodies[len]} ${b.disclaimer}`,
      callToAction: l.cta,
      hashtags: [b.hashtag],
    };
  }
  const body =
    `${b.bodies[item.copy === 'long' ? 'long' : 'short']} ${item.invalidCopy === 'missing_disclaimer' ? '' : b.disclaimer}`.trim();
  const headline = item.invalidCopy === 'banned_word' ? `A ${b.bannedWord} deal for everyone` : b.headlines[item.copy];
  return { headline, body, callToAction: b.cta, hashtags: [b.hashtag] };
}

// ---- classification ----------------------------------------------------------------------------

/**
 * What caused a finding: our layout/encoding, or what we were given (the photo, the copy, the
 * brand's settings). Decided on the finding's details, which say what was measured.
 */
export function causeOf(f: Finding): 'layout' | 'input' {
  const d = (f.details ?? {}) as Record<string, unknown>;
  if (['safe_zone', 'contrast', 'file_size'].includes(f.check)) return 'layout';
  // Characters no shipped font draws are ours to ship; a brand font we do not ship, or a brand
  // that allows none of ours, is the brand's setting.
  if (f.check === 'fonts') return 'missing' in d ? 'layout' : 'input';
  // Text the renderer cut or left out of a slot (variant: `slot`) vs copy over a platform's
  // readability or caption limit, or copy the template has no place for (brief: `field`).
  if (f.check === 'copy_length') return 'slot' in d ? 'layout' : 'input';
  // Logo clear space and size are placement; a brand without a logo is input.
  if (f.check === 'logo') return 'box' in d || 'gap' in d ? 'layout' : 'input';
  return 'input';
}

const pct = (xs: number[], p: number) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

export interface QualityResult {
  at: string;
  machine: { cpus: number; node: string; loadavg: number[] };
  corpus: {
    requests: number;
    brands: number;
    presetsCovered: number;
    stock: number;
    ai: number;
    withEmoji: number;
    byScript: Record<string, number>;
    invalidCopy: number;
  };
  reachedReviewer: { n: number; share: number; shareOfValid: number; goal: number; met: boolean };
  outcomes: Record<string, number>;
  invalidCopyEndedBeforePaying: boolean;
  errorFindingsByCheck: Record<string, number>;
  findingsByCause: {
    layout: { errors: number; warnings: number; byCheck: Record<string, number> };
    input: { errors: number; warnings: number; byCheck: Record<string, number> };
  };
  /** Information findings (no cost, no defect), by check. */
  infoFindings: Record<string, number>;
  layoutErrorsZero: boolean;
  adjustments: {
    variants: number;
    variantsAdjusted: number;
    byKind: Record<string, number>;
    byKindAndSlot: Record<string, number>;
    examples: Record<string, string>;
  };
  freepik: {
    callsPerRequest: { mean: number; p50: number; max: number };
    creditsPerRequest: { mean: number; max: number };
    costUsdTotal: number;
    byEndpoint: Record<string, number>;
    downloadsPerStockRequest: number;
    generationsPerAiRequest: number;
  };
  sourcing: { imagesPerRequest: number; fallbackGroups: number; groupsByStatus: Record<string, number> };
  perRequest: Array<{
    id: string;
    brand: string;
    source: string;
    platforms: number;
    status: string;
    score: number | null;
    calls: number;
    credits: number;
    layoutErrors: number;
    inputErrors: number;
    reason?: string;
  }>;
  seconds: number;
}

export async function benchQuality(opts: { concurrency?: number; dumpDir?: string } = {}): Promise<QualityResult> {
  const t0 = performance.now();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'svp-bench-quality-'));
  chmodSync(dataDir, 0o755);
  const settled = new Map<string, (e: WorkflowEvent) => void>();
  const onEvent = (e: WorkflowEvent) => {
    if (e.type === 'waiting_for_token' || e.type === 'execution_failed' || e.type === 'execution_succeeded')
      settled.get(e.requestId)?.(e);
  };
  const stack = await startLocalStack(benchStackOptions(dataDir, { onWorkflowEvent: onEvent }));
  const owner = postgres(stack.ownerUrl, { max: 2, onnotice: () => {} });
  try {
    const acmeOrg = stack.seed.orgs.find((o) => o.slug === 'acme-coffee')!;
    const brands = new Map<string, BrandHandle>();
    for (const spec of BRANDS) {
      const org = stack.seed.orgs.find((o) => o.slug === (spec.seeded ?? 'acme-coffee'))!;
      const brandId = spec.seeded ? org.brandId : await createBrand(stack, owner, spec, acmeOrg);
      const creator = await stack.mintToken(
        spec.seeded === 'globex-fitness' ? 'creator@globex.test' : 'creator@acme.test',
        { ttl: 3600 * 4 },
      );
      brands.set(spec.key, { spec, orgId: org.id, brandId, creator, templateIds: spec.seeded ? org.templateIds : {} });
    }

    const items: CorpusItem[] = corpus().map((it, n) => {
      const b = brands.get(it.brand)!.spec;
      const image =
        it.source === 'stock'
          ? { source: 'stock', query: b.queries[n % b.queries.length] }
          : { source: 'ai', prompt: b.prompts[n % b.prompts.length] };
      return { ...it, body: { brief: briefFor(b, it), image, platforms: it.platforms } };
    });

    const ids = new Map<string, string>();
    const endedAs = new Map<string, string>();
    const queue = [...items];
    const worker = async () => {
      for (let it = queue.shift(); it; it = queue.shift()) {
        const b = brands.get(it.brand)!;
        const templateId = it.template !== 'brand default' ? b.templateIds[it.template] : undefined;
        const res = await fetch(`${stack.apiUrl}/v1/orgs/${b.orgId}/content-requests`, {
          method: 'POST',
          headers: { authorization: `Bearer ${b.creator}`, 'content-type': 'application/json' },
          body: JSON.stringify({ brandId: b.brandId, ...(templateId ? { templateId } : {}), ...it.body }),
        });
        if (res.status !== 202) throw new Error(`${it.id}: POST answered ${res.status}: ${await res.text()}`);
        const { id } = (await res.json()) as { id: string };
        ids.set(it.id, id);
        const ev = await new Promise<WorkflowEvent>((resolve) => {
          const timer = setTimeout(
            () => resolve({ type: 'execution_aborted', executionName: '', requestId: id, run: 1, at: Date.now() }),
            180_000,
          );
          settled.set(id, (e) => {
            clearTimeout(timer);
            settled.delete(id);
            resolve(e);
          });
        });
        endedAs.set(it.id, ev.type);
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency ?? 3 }, worker));

    // ---- measure ---------------------------------------------------------------------------------
    const outcomes: Record<string, number> = {};
    const errorByCheck: Record<string, number> = {};
    const info: Record<string, number> = {};
    const cause = {
      layout: { errors: 0, warnings: 0, byCheck: {} as Record<string, number> },
      input: { errors: 0, warnings: 0, byCheck: {} as Record<string, number> },
    };
    const perRequest: QualityResult['perRequest'] = [];
    const calls: number[] = [];
    const credits: number[] = [];
    const byEndpoint: Record<string, number> = {};
    let costUsd = 0;
    let reached = 0;
    let stockDownloads = 0;
    let aiGenerations = 0;
    let images = 0;
    let invalidOk = true;
    const groupsByStatus: Record<string, number> = {};
    for (const it of items) {
      const id = ids.get(it.id)!;
      const [r] = await owner<
        {
          status: string;
          compliance: { score?: number; findings?: Finding[] } | null;
          rejection_reason: string | null;
          failure: { code?: string; message?: string } | null;
        }[]
      >`
        SELECT status, compliance, rejection_reason, failure FROM content_requests WHERE id = ${id}`;
      outcomes[r.status] = (outcomes[r.status] ?? 0) + 1;
      const ok = r.status === 'awaiting_approval' || r.status === 'approved' || r.status === 'published';
      if (ok) reached++;
      const findings = r.compliance?.findings ?? [];
      let le = 0;
      let ie = 0;
      for (const f of findings) {
        if (f.severity === 'info') {
          info[f.check] = (info[f.check] ?? 0) + 1;
          continue;
        }
        const c = causeOf(f);
        const bucket = cause[c];
        if (f.severity === 'error') {
          bucket.errors++;
          errorByCheck[f.check] = (errorByCheck[f.check] ?? 0) + 1;
          if (c === 'layout') le++;
          else ie++;
        } else bucket.warnings++;
        bucket.byCheck[`${f.check}:${f.severity}`] = (bucket.byCheck[`${f.check}:${f.severity}`] ?? 0) + 1;
      }
      const usage = await owner<
        { endpoint: string; credits: string; cost: string }[]
      >`SELECT endpoint, credits::text, cost_usd::text AS cost FROM api_usage WHERE request_id = ${id}`;
      for (const u of usage) byEndpoint[u.endpoint] = (byEndpoint[u.endpoint] ?? 0) + 1;
      const cr = usage.reduce((a, u) => a + Number(u.credits), 0);
      costUsd += usage.reduce((a, u) => a + Number(u.cost), 0);
      calls.push(usage.length);
      credits.push(cr);
      if (it.invalidCopy && (r.status !== 'rejected' || usage.length > 0)) invalidOk = false;
      const groups = await owner<
        { status: string; downloads: number; generations: number }[]
      >`SELECT status, downloads, generations FROM request_sourcing WHERE request_id = ${id}`;
      for (const g of groups) {
        groupsByStatus[g.status] = (groupsByStatus[g.status] ?? 0) + 1;
        if (it.source === 'stock') stockDownloads += g.downloads;
        else aiGenerations += g.generations;
      }
      const [{ n }] = await owner<
        { n: number }[]
      >`SELECT count(*)::int AS n FROM generated_assets WHERE request_id = ${id}`;
      images += n;
      perRequest.push({
        id: it.id,
        brand: it.brand,
        source: it.source,
        platforms: it.platforms.length,
        status: r.status,
        score: r.compliance?.score ?? null,
        calls: usage.length,
        credits: cr,
        layoutErrors: le,
        inputErrors: ie,
        ...(ok ? {} : { reason: (r.rejection_reason ?? `${r.failure?.code}: ${r.failure?.message}`).slice(0, 160) }),
      });
    }
    const variants = await owner<
      { platform: string; s3_key: string; adjustments: unknown; request_id: string }[]
    >`SELECT platform, s3_key, adjustments, request_id FROM asset_variants`;
    const byKind: Record<string, number> = {};
    const byKindAndSlot: Record<string, number> = {};
    const examples: Record<string, string> = {};
    let adjusted = 0;
    for (const v of variants) {
      const list = (Array.isArray(v.adjustments) ? v.adjustments : []) as Adjustment[];
      if (list.length) adjusted++;
      for (const a of list) {
        byKind[a.kind] = (byKind[a.kind] ?? 0) + 1;
        const key = a.slot ? `${a.kind}:${a.slot}` : a.kind;
        byKindAndSlot[key] = (byKindAndSlot[key] ?? 0) + 1;
        examples[key] ??= a.reason;
      }
    }
    if (opts.dumpDir) {
      mkdirSync(opts.dumpDir, { recursive: true });
      const names = new Map([...ids].map(([k, v]) => [v, k]));
      for (const v of variants)
        writeFileSync(
          path.join(opts.dumpDir, `${names.get(v.request_id) ?? v.request_id}-${v.platform}.jpg`),
          await stack.store.get(v.s3_key),
        );
    }

    const valid = items.filter((i) => !i.invalidCopy).length;
    const stockN = items.filter((i) => i.source === 'stock' && !i.invalidCopy).length;
    const aiN = items.filter((i) => i.source === 'ai' && !i.invalidCopy).length;
    const result: QualityResult = {
      at: new Date().toISOString(),
      machine: { cpus: os.availableParallelism(), node: process.version, loadavg: os.loadavg().map((x) => round(x)) },
      corpus: {
        requests: items.length,
        brands: BRANDS.length,
        presetsCovered: new Set(items.flatMap((i) => i.platforms)).size,
        stock: items.filter((i) => i.source === 'stock').length,
        ai: items.filter((i) => i.source === 'ai').length,
        withEmoji: items.filter((i) => i.copy === 'emoji').length,
        byScript: Object.fromEntries(SCRIPTS.map((sc) => [sc, items.filter((i) => i.script === sc).length])),
        invalidCopy: items.length - valid,
      },
      reachedReviewer: {
        n: reached,
        share: round(reached / items.length, 3),
        shareOfValid: round(reached / valid, 3),
        goal: 0.9,
        met: reached / items.length >= 0.9,
      },
      outcomes,
      invalidCopyEndedBeforePaying: invalidOk,
      errorFindingsByCheck: errorByCheck,
      findingsByCause: cause,
      infoFindings: info,
      layoutErrorsZero: cause.layout.errors === 0,
      adjustments: { variants: variants.length, variantsAdjusted: adjusted, byKind, byKindAndSlot, examples },
      freepik: {
        callsPerRequest: {
          mean: round(calls.reduce((a, b) => a + b, 0) / calls.length),
          p50: pct(calls, 50),
          max: Math.max(...calls),
        },
        creditsPerRequest: {
          mean: round(credits.reduce((a, b) => a + b, 0) / credits.length),
          max: Math.max(...credits),
        },
        costUsdTotal: round(costUsd, 4),
        byEndpoint,
        downloadsPerStockRequest: round(stockDownloads / stockN),
        generationsPerAiRequest: round(aiGenerations / aiN),
      },
      sourcing: {
        imagesPerRequest: round(images / valid),
        fallbackGroups: groupsByStatus.fallback ?? 0,
        groupsByStatus,
      },
      perRequest,
      seconds: Math.round((performance.now() - t0) / 1000),
    };
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/quality.json', `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    await owner.end({ timeout: 5 });
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const r = await benchQuality({ dumpDir: process.env.QUALITY_DUMP_DIR });
  const c = r.corpus;
  console.log(
    `Quality: ${c.requests} briefs (${c.brands} brands, ${c.presetsCovered} presets, ${c.stock} stock / ${c.ai} AI, ${c.withEmoji} with emoji, ${Object.entries(
      c.byScript,
    )
      .map(([k, n]) => `${n} ${k}`)
      .join(', ')}, ${c.invalidCopy} with copy no image can fix), emulator, ${r.seconds} s`,
  );
  console.table([
    {
      reached_reviewer: `${r.reachedReviewer.n}/${c.requests}`,
      share: r.reachedReviewer.share,
      of_valid_briefs: r.reachedReviewer.shareOfValid,
      goal: `>= ${r.reachedReviewer.goal}`,
      met: r.reachedReviewer.met,
      layout_errors: r.findingsByCause.layout.errors,
      invalid_copy_stopped_unpaid: r.invalidCopyEndedBeforePaying,
    },
  ]);
  console.table(r.outcomes);
  console.log('Error findings by check:');
  console.table(r.errorFindingsByCheck);
  console.log('Findings by cause (check:severity):');
  console.table([
    {
      cause: 'our layout',
      errors: r.findingsByCause.layout.errors,
      warnings: r.findingsByCause.layout.warnings,
      detail: JSON.stringify(r.findingsByCause.layout.byCheck),
    },
    {
      cause: 'input (photo, copy)',
      errors: r.findingsByCause.input.errors,
      warnings: r.findingsByCause.input.warnings,
      detail: JSON.stringify(r.findingsByCause.input.byCheck),
    },
  ]);
  console.log('Information findings (no cost):', r.infoFindings);
  console.log(
    `Automatic adjustments: ${r.adjustments.variantsAdjusted} of ${r.adjustments.variants} variants`,
    r.adjustments.byKind,
  );
  console.table(
    Object.entries(r.adjustments.byKindAndSlot).map(([kind, n]) => ({
      kind,
      n,
      example: r.adjustments.examples[kind].slice(0, 150),
    })),
  );
  console.table([
    {
      calls_mean: r.freepik.callsPerRequest.mean,
      calls_p50: r.freepik.callsPerRequest.p50,
      calls_max: r.freepik.callsPerRequest.max,
      credits_mean: r.freepik.creditsPerRequest.mean,
      credits_max: r.freepik.creditsPerRequest.max,
      cost_usd_total: r.freepik.costUsdTotal,
      downloads_per_stock_request: r.freepik.downloadsPerStockRequest,
      generations_per_ai_request: r.freepik.generationsPerAiRequest,
      images_per_request: r.sourcing.imagesPerRequest,
      fallback_groups: r.sourcing.fallbackGroups,
    },
  ]);
  console.log('Freepik calls by endpoint:', r.freepik.byEndpoint);
  const missed = r.perRequest.filter((p) => p.reason);
  if (missed.length) {
    console.log('Not reaching a reviewer:');
    console.table(missed.map((p) => ({ id: p.id, status: p.status, score: p.score, reason: p.reason })));
  }
  console.log('wrote bench/results/quality.json');
  process.exit(0);
}
