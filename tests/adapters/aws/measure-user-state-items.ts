/**
 * Measures user-state item sizes before and after the bounded-history fold (docs/aws-adapters.md, "User-state
 * items stay bounded"). Run: `npx tsx tests/adapters/aws/measure-user-state-items.ts`.
 *
 * "before" = the item the unbounded store would have written (every version in the map), sized as DynamoDB
 * counts it; "after" = the item DynamoDbStateStore leaves in dynalite (which refuses items over 400 KB
 * counted in UTF-8, see dynalite-fixture.ts), read back and sized the same way.
 */
import { DynamoDbStateStore } from '../../../src/adapters/aws/dynamodb-state-store';
import { stateItem } from '../../../src/adapters/aws/dynamodb-items';
import type { StateVersion, VersionWrite } from '../../../src/ports/state-store';
import { awsItemBytes, MAX_ITEM_BYTES, startDynalite } from './dynalite-fixture';

const DAY = 86_400;
const START = 1_712_000_000;

interface Scenario {
  readonly name: string;
  readonly entity: string;
  readonly count: number;
  readonly spanSeconds: number;
  readonly fields: (i: number) => Record<string, string>;
}

const huge = 'x'.repeat(200 * 1024);
const account = 'account#9f1c0a52-2b4e-4a8e-9a57-0d6d5c1f2a01';
const subscription = 'subscription#9f1c0a52-2b4e-4a8e-9a57-0d6d5c1f2a01#es';

const scenarios: Scenario[] = [
  ...[10, 100, 1000, 2000, 5000, 10_000].map((count) => ({
    name: `account, ${count} over 60 days`,
    entity: account,
    count,
    spanSeconds: 60 * DAY,
    fields: (i: number) => ({ country: ['DE', 'FR', 'ES', 'IT'][i % 4] ?? 'DE' }),
  })),
  ...[1000, 5000, 10_000].map((count) => ({
    name: `subscription, ${count} within 1 day`,
    entity: subscription,
    count,
    spanSeconds: DAY,
    fields: (i: number) => ({
      subscription_type: 'monthly',
      subscription_status: i % 2 ? 'active' : 'paused',
    }),
  })),
  {
    name: 'account, 1000 with a 200 KB country, within 1 hour',
    entity: account,
    count: 1000,
    spanSeconds: 3600,
    fields: (i: number) => ({ country: `${i}${huge}` }),
  },
];

function uuid(i: number): string {
  return `9f1c0a52-2b4e-4a8e-9a57-${String(i).padStart(12, '0')}`;
}

async function main(): Promise<void> {
  const dynamo = await startDynalite();
  const rows: string[] = [
    '| scenario | before: item bytes | after: item bytes | kept versions | write cost after (WCU + RCU) |',
  ];
  rows.push('|---|---|---|---|---|');
  try {
    for (const scenario of scenarios) {
      const versions: StateVersion[] = Array.from({ length: scenario.count }, (_, i) => ({
        eventUuid: uuid(i),
        createdAt: START + (i * scenario.spanSeconds) / scenario.count,
        fields: scenario.fields(i),
      }));
      const before = awsItemBytes(stateItem(scenario.entity, versions, scenario.count));
      const tables = await dynamo.createTables();
      const store = new DynamoDbStateStore({ client: dynamo.client, ...tables });
      const writes: VersionWrite[] = versions.map((version) => ({ entity: scenario.entity, version }));
      for (let i = 0; i < writes.length; i += 200) await store.putVersions(writes.slice(i, i + 200));
      const [item] = await dynamo.scanItems(tables.stateTable);
      const after = item === undefined ? 0 : awsItemBytes(item);
      const kept = Object.keys(item?.versions?.M ?? {}).length;
      // PutItem: 1 WCU per KB of the larger of old and new item; strongly consistent GetItem: 1 RCU per 4 KB.
      const cost = `${Math.ceil(after / 1024)} + ${Math.ceil(after / 4096)}`;
      rows.push(
        `| ${scenario.name} | ${before.toLocaleString('en')}${before > MAX_ITEM_BYTES ? ' (refused: > 400 KB)' : ''} | ${after.toLocaleString('en')} | ${kept} | ${cost} |`,
      );
      await dynamo.deleteTables(tables);
    }
  } finally {
    await dynamo.close();
  }
  process.stdout.write(`${rows.join('\n')}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
