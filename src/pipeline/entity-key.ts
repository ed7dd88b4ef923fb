import type { EntityKey } from '../ports/state-store';

export function accountKey(userUuid: string): EntityKey {
  return `account#${userUuid}`;
}

export function subscriptionKey(userUuid: string, language: string): EntityKey {
  return `subscription#${userUuid}#${language}`;
}
