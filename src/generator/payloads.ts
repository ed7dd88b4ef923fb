import * as catalog from './catalog';
import type { Prng } from './prng';

// Bound once: module interop may turn each imported constant into a getter call on the hot path.
const { APP_VERSIONS, CURRENCIES, LANGUAGES, PLATFORMS, SEARCH_QUERIES, CEFR_LEVELS, words } = catalog;

/** Type-specific fields of one event, in the order they are written after the envelope. */
export type Fields = Record<string, string | number | boolean | null | readonly string[]>;

const PRICES = [4.99, 9.99, 12.95, 29.99, 44.99, 59.99, 83.4, 119.99] as const;
const PATHS = words('/ /pricing /courses /courses/spanish /courses/german /blog /help /login /signup');
const REFERRERS = words('google direct facebook newsletter app_store tiktok');
const CAMPAIGNS = words('streak_reminder daily_goal win_back_7d new_course renewal_notice weekly_report');
const SETTINGS = words('dark_mode sound_effects daily_reminder autoplay_audio speech_exercises');
const ACHIEVEMENTS = words('first_lesson streak_7 streak_30 perfect_score early_bird night_owl');
const SUPPORT_CATEGORIES = words('billing login content bug refund');
const EXPERIMENTS = words('paywall_v3 onboarding_short review_spacing push_copy_b');
const DEVICES = ['iPhone15,2', 'iPhone14,5', 'Pixel 8', 'SM-S918B', 'SM-A546B', 'Chrome 124', 'Safari 17'];

/** Pads a small non-negative integer to two digits. */
export function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export function lessonId(rng: Prng, language: string): string {
  return `${language}-${rng.pick(CEFR_LEVELS)}-u${pad2(rng.between(1, 12))}-l${pad2(rng.between(1, 15))}`;
}

/**
 * Adds to `who` the fields of an event that is neither account, subscription nor lesson. `user` is the
 * acting user's uuid, or undefined for anonymous traffic (then an `anonymous_id` is sent instead).
 */
export function otherFields(rng: Prng, name: string, user: string | undefined, who: Fields = {}): Fields {
  if (user === undefined) who.anonymous_id = rng.uuid();
  else who.user_uuid = user;
  const type = name.slice(0, name.indexOf(':'));
  switch (type) {
    case 'app':
      who.platform = rng.pick(PLATFORMS);
      who.app_version = rng.pick(APP_VERSIONS);
      who.device_model = rng.pick(DEVICES);
      if (name === 'app:crashed') who.error_code = `E${rng.between(100, 999)}`;
      else if (name === 'app:settings:changed') {
        who.setting = rng.pick(SETTINGS);
        who.value = rng.chance(0.5);
      } else if (name === 'app:language:changed') who.ui_language = rng.pick(LANGUAGES);
      else if (name === 'app:closed') who.session_seconds = rng.between(5, 3600);
      return who;
    case 'review':
      who.session_id = rng.hex(16);
      who.language = rng.pick(LANGUAGES);
      if (name === 'review:item:answered') {
        who.item_id = `w${rng.between(1, 40000)}`;
        who.correct = rng.chance(0.78);
        who.response_ms = rng.between(400, 15000);
      } else if (name === 'review:session:finished') {
        who.items_reviewed = rng.between(5, 60);
        who.duration_seconds = rng.between(60, 1500);
      } else who.items_due = rng.between(0, 120);
      return who;
    case 'notification':
      who.campaign_id = rng.pick(CAMPAIGNS);
      who.template_id = `tpl_${rng.between(1, 80)}`;
      who.platform = rng.pick(PLATFORMS);
      return who;
    case 'payment':
      who.order_id = `ord_${rng.hex(12)}`;
      who.amount = rng.pick(PRICES);
      who.currency = rng.pick(CURRENCIES);
      who.payment_method = rng.pick(['card', 'card', 'paypal', 'apple_pay', 'google_pay', 'sepa']);
      if (name === 'payment:order:failed')
        who.decline_code = rng.pick(['insufficient_funds', 'expired_card', 'do_not_honor']);
      return who;
    case 'page':
      who.path = rng.pick(PATHS);
      who.referrer = rng.pick(REFERRERS);
      who.viewport_width = rng.pick([375, 390, 414, 768, 1280, 1440, 1920]);
      if (name === 'page:scrolled') who.depth_percent = rng.between(10, 100);
      return who;
    case 'search':
      who.query = rng.pick(SEARCH_QUERIES);
      who.results_count = name === 'search:no_results' ? 0 : rng.between(1, 250);
      if (name === 'search:result:clicked') who.position = rng.between(1, 10);
      return who;
    case 'vocabulary':
      who.language = rng.pick(LANGUAGES);
      who.word_id = `w${rng.between(1, 40000)}`;
      who.strength = rng.between(0, 5);
      return who;
    case 'speech':
      who.language = rng.pick(LANGUAGES);
      who.duration_ms = rng.between(300, 9000);
      if (name === 'speech:pronunciation:scored') who.score = rng.between(0, 100);
      if (name === 'speech:recognition:failed') who.error = rng.pick(['no_speech', 'mic_denied', 'timeout']);
      return who;
    case 'achievement':
      who.achievement_id = rng.pick(ACHIEVEMENTS);
      who.streak_days = rng.between(0, 400);
      return who;
    case 'social':
      who.channel = rng.pick(['whatsapp', 'email', 'link', 'instagram']);
      who.invite_code = rng.hex(8);
      return who;
    case 'placement':
      who.language = rng.pick(LANGUAGES);
      who.level = rng.pick(CEFR_LEVELS);
      who.questions = rng.between(10, 40);
      return who;
    case 'support':
      who.ticket_id = `T-${rng.between(100000, 999999)}`;
      who.category = rng.pick(SUPPORT_CATEGORIES);
      return who;
    case 'experiment':
      who.experiment_id = rng.pick(EXPERIMENTS);
      who.variant = rng.pick(['control', 'a', 'b']);
      return who;
    case 'live':
      who.class_id = `cls_${rng.hex(10)}`;
      who.language = rng.pick(LANGUAGES);
      who.teacher_id = `tch_${rng.between(1, 900)}`;
      return who;
    default:
      who.platform = rng.pick(PLATFORMS);
      return who;
  }
}

/**
 * One NDJSON line: the envelope first (`event_uuid`, `event_name`, `created_at`), then the fields.
 * `created_at` is written as JSON writes the number: `1712511721` or `1712511721.022075`. (Valid traffic
 * is serialised in one JSON.stringify call instead; this is for the hand-made malformed lines.)
 */
export function eventLine(uuid: string, name: string, createdAt: number, fields: Fields): string {
  const rest = JSON.stringify(fields);
  const head = `{"event_uuid":"${uuid}","event_name":"${name}","created_at":${createdAt}`;
  return rest === '{}' ? `${head}}` : `${head},${rest.slice(1)}`;
}

/** Half the events send int seconds, half float seconds with microseconds (as Python's time.time() would). */
export function renderCreatedAt(rng: Prng, t: number): number {
  return rng.chance(0.5) ? Math.floor(t) : Math.round(t * 1e6) / 1e6;
}
