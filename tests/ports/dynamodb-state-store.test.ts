import { DynamoDbStateStore } from '../../src/adapters/aws/dynamodb-state-store';
import { startDynalite, type Dynalite } from '../adapters/aws/dynalite-fixture';
import { stateStoreContract } from './state-store.contract';

// One in-process dynalite for the file; each contract test gets its own pair of fresh tables.
let dynamo: Dynalite | undefined;

afterAll(async () => {
  await dynamo?.close();
});

stateStoreContract('DynamoDbStateStore on dynalite', async () => {
  dynamo ??= await startDynalite();
  const server = dynamo;
  const tables = await server.createTables();
  return {
    store: new DynamoDbStateStore({
      client: server.client,
      ...tables,
      backoff: { baseDelayMs: 5, maxDelayMs: 50 },
    }),
    cleanup: () => server.deleteTables(tables),
  };
});
