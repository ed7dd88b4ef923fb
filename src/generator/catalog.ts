/**
 * The event names the generator emits and their share of valid events (weights in percent, summing to 100).
 * Lessons are the biggest share (~40 %), subscriptions ~5 %, accounts ~3 %, the rest is spread over
 * app, review, notification, payment, page, search, vocabulary, speech, achievement, social, placement,
 * support, experiment and live events. 2- and 3-part names are mixed, as in production.
 */
export interface CatalogEntry {
  readonly name: string;
  readonly weight: number;
}

export const EVENT_CATALOG: readonly CatalogEntry[] = [
  // lesson: 40
  { name: 'lesson:started', weight: 14 },
  { name: 'lesson:completed', weight: 11 },
  { name: 'lesson:abandoned', weight: 3 },
  { name: 'lesson:paused', weight: 2 },
  { name: 'lesson:resumed', weight: 2 },
  { name: 'lesson:exercise:answered', weight: 4 },
  { name: 'lesson:exercise:skipped', weight: 1 },
  { name: 'lesson:hint:requested', weight: 1 },
  { name: 'lesson:audio:played', weight: 1.5 },
  { name: 'lesson:rated', weight: 0.5 },
  // subscription: 5
  { name: 'subscription:started', weight: 1.5 },
  { name: 'subscription:renewed', weight: 1.2 },
  { name: 'subscription:cancelled', weight: 0.5 },
  { name: 'subscription:upgraded', weight: 0.3 },
  { name: 'subscription:downgraded', weight: 0.2 },
  { name: 'subscription:paused', weight: 0.2 },
  { name: 'subscription:resumed', weight: 0.2 },
  { name: 'subscription:expired', weight: 0.3 },
  { name: 'subscription:payment:failed', weight: 0.3 },
  { name: 'subscription:trial:started', weight: 0.2 },
  { name: 'subscription:trial:converted', weight: 0.1 },
  // account: 3
  { name: 'account:created', weight: 1.2 },
  { name: 'account:updated', weight: 0.6 },
  { name: 'account:deleted', weight: 0.05 },
  { name: 'account:email:verified', weight: 0.4 },
  { name: 'account:password:changed', weight: 0.1 },
  { name: 'account:password:reset_requested', weight: 0.05 },
  { name: 'account:logged_in', weight: 0.4 },
  { name: 'account:logged_out', weight: 0.15 },
  { name: 'account:profile:picture_updated', weight: 0.05 },
  // app: 10
  { name: 'app:opened', weight: 4 },
  { name: 'app:closed', weight: 2.5 },
  { name: 'app:backgrounded', weight: 1 },
  { name: 'app:foregrounded', weight: 1 },
  { name: 'app:crashed', weight: 0.1 },
  { name: 'app:updated', weight: 0.2 },
  { name: 'app:installed', weight: 0.3 },
  { name: 'app:uninstalled', weight: 0.1 },
  { name: 'app:settings:changed', weight: 0.3 },
  { name: 'app:language:changed', weight: 0.2 },
  { name: 'app:onboarding:started', weight: 0.15 },
  { name: 'app:onboarding:completed', weight: 0.15 },
  // review: 8
  { name: 'review:session:started', weight: 2.5 },
  { name: 'review:session:finished', weight: 2 },
  { name: 'review:item:answered', weight: 3 },
  { name: 'review:item:skipped', weight: 0.3 },
  { name: 'review:reminder:scheduled', weight: 0.2 },
  // notification: 8
  { name: 'notification:push:sent', weight: 3 },
  { name: 'notification:push:delivered', weight: 2 },
  { name: 'notification:push:opened', weight: 0.8 },
  { name: 'notification:push:dismissed', weight: 0.5 },
  { name: 'notification:email:sent', weight: 0.8 },
  { name: 'notification:email:opened', weight: 0.3 },
  { name: 'notification:email:clicked', weight: 0.1 },
  { name: 'notification:email:bounced', weight: 0.05 },
  { name: 'notification:in_app:shown', weight: 0.35 },
  { name: 'notification:in_app:clicked', weight: 0.1 },
  // payment: 2.5
  { name: 'payment:checkout:started', weight: 0.15 },
  { name: 'payment:order:created', weight: 0.6 },
  { name: 'payment:order:completed', weight: 0.5 },
  { name: 'payment:order:failed', weight: 0.1 },
  { name: 'payment:order:refunded', weight: 0.05 },
  { name: 'payment:method:added', weight: 0.1 },
  { name: 'payment:method:removed', weight: 0.03 },
  { name: 'payment:invoice:issued', weight: 0.5 },
  { name: 'payment:invoice:paid', weight: 0.45 },
  { name: 'payment:chargeback:opened', weight: 0.02 },
  // page: 5.5
  { name: 'page:viewed', weight: 4.5 },
  { name: 'page:scrolled', weight: 0.6 },
  { name: 'page:link:clicked', weight: 0.4 },
  // search: 3
  { name: 'search:performed', weight: 2 },
  { name: 'search:result:clicked', weight: 0.8 },
  { name: 'search:no_results', weight: 0.2 },
  // vocabulary: 4
  { name: 'vocabulary:word:learned', weight: 2 },
  { name: 'vocabulary:word:reviewed', weight: 1.5 },
  { name: 'vocabulary:word:added', weight: 0.3 },
  { name: 'vocabulary:list:created', weight: 0.2 },
  // speech: 3
  { name: 'speech:recognition:started', weight: 1.2 },
  { name: 'speech:recognition:completed', weight: 1.1 },
  { name: 'speech:recognition:failed', weight: 0.2 },
  { name: 'speech:pronunciation:scored', weight: 0.5 },
  // achievement: 2
  { name: 'achievement:unlocked', weight: 0.8 },
  { name: 'achievement:streak:extended', weight: 0.9 },
  { name: 'achievement:streak:lost', weight: 0.2 },
  { name: 'achievement:badge:shared', weight: 0.1 },
  // social: 1.5
  { name: 'social:friend:invited', weight: 0.3 },
  { name: 'social:friend:joined', weight: 0.1 },
  { name: 'social:share:completed', weight: 0.4 },
  { name: 'social:leaderboard:viewed', weight: 0.7 },
  // placement: 1
  { name: 'placement:test:started', weight: 0.4 },
  { name: 'placement:test:completed', weight: 0.35 },
  { name: 'placement:test:abandoned', weight: 0.1 },
  { name: 'placement:level:assigned', weight: 0.15 },
  // support: 0.5
  { name: 'support:ticket:created', weight: 0.2 },
  { name: 'support:ticket:resolved', weight: 0.15 },
  { name: 'support:chat:started', weight: 0.1 },
  { name: 'support:feedback:submitted', weight: 0.05 },
  // experiment: 2
  { name: 'experiment:exposed', weight: 1.5 },
  { name: 'experiment:variant:assigned', weight: 0.5 },
  // live: 1
  { name: 'live:class:booked', weight: 0.3 },
  { name: 'live:class:joined', weight: 0.35 },
  { name: 'live:class:left', weight: 0.25 },
  { name: 'live:class:cancelled', weight: 0.1 },
];

/** Every name the generator can emit as a valid event. */
export const EVENT_NAMES: readonly string[] = EVENT_CATALOG.map((e) => e.name);

/** Names of "other" (not account/subscription/lesson) events that malformed lines and conflicts are built from. */
export const NEUTRAL_EVENT_NAMES: readonly string[] = [
  'app:opened',
  'app:closed',
  'page:viewed',
  'review:session:finished',
  'notification:push:sent',
  'payment:order:completed',
  'experiment:exposed',
];

/** A vocabulary list written as one space-separated string (keeps the lists readable after formatting). */
export function words(list: string): readonly string[] {
  return list.split(' ');
}

/** ISO 639-1 codes of the languages taught. */
export const LANGUAGES = words('en es fr de it pt sv tr pl nl id no da ru');

/** ISO 3166-1 alpha-2 codes, roughly weighted by repetition. */
export const COUNTRIES = words(
  'DE DE DE US US US GB GB FR FR ES IT IT BR MX AT CH NL PL SE TR IN CA AU BE PT IE NO DK JP',
);

export const LOCALES = words('de-DE en-US en-GB fr-FR es-ES it-IT pt-BR es-MX nl-NL pl-PL sv-SE tr-TR');

export const PLATFORMS = words('ios ios android android android web');

export const APP_VERSIONS = words('24.1.0 24.2.3 24.3.1 24.4.0 24.4.2 24.5.0');

export const PAID_SUBSCRIPTION_TYPES = words(
  'monthly monthly monthly quarterly quarterly yearly yearly lifetime',
);

export const CURRENCIES = words('EUR EUR USD USD GBP BRL CHF SEK');

export const CEFR_LEVELS = words('a1 a2 b1 b2 c1');

export const REFERRAL_SOURCES = words('organic google_ads facebook_ads friend_invite app_store tv_campaign');

/** Search queries, some non-ASCII (valid UTF-8 the pipeline must keep byte for byte): the only non-ASCII vocabulary. */
export const SEARCH_QUERIES: readonly string[] = [
  'past tense',
  'subjunctive',
  'ser vs estar',
  'numbers',
  'greetings',
  'food vocabulary',
  'irregular verbs',
  'café',
  'straße',
  'über',
  'ça va',
  'niño',
  'çok güzel',
  'język',
  'merci beaucoup',
  'ありがとう',
  '👋 hello',
];
