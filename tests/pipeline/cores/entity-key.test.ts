import { accountKey, subscriptionKey } from '../../../src/pipeline/entity-key';

describe('entity keys', () => {
  const user = '00000000-0000-4000-9000-000000007531';

  it('names an account by its user', () => {
    // Act / Assess
    expect(accountKey(user)).toBe(`account#${user}`);
  });

  it('names a subscription by its user and language', () => {
    // Act / Assess
    expect(subscriptionKey(user, 'de')).toBe(`subscription#${user}#de`);
  });

  it('keeps the subscriptions of one user apart by language, and apart from the account', () => {
    // Act
    const keys = new Set([accountKey(user), subscriptionKey(user, 'de'), subscriptionKey(user, 'fr')]);

    // Assess
    expect(keys.size).toBe(3);
  });
});
