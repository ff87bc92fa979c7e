/**
 * SES_SANDBOX: a batch sends one address at a time (the sandbox allows 1 mail per second), through
 * the real RPC handler, against DynamoDB Local and the local SES. The SES client is real; a
 * middleware counts sends in flight and holds each for 100 ms, so any overlap would show.
 */
import { SESClient } from '@aws-sdk/client-ses';
import { freshAddresses } from '../support/fresh-address.js';
import { popCoreClient, startRpcTestApi, type RpcTestApi, type SendLists } from '../support/rpc-clients.js';

const apis: RpcTestApi[] = [];
afterEach(async () => {
  await Promise.all(apis.splice(0).map((api) => api.stop()));
});

function slowCountingSes() {
  const counts = { inFlight: 0, maxInFlight: 0, sent: 0 };
  const client = new SESClient({ endpoint: process.env.SES_ENDPOINT, region: process.env.AWS_REGION });
  client.middlewareStack.add(
    (next) => async (args) => {
      counts.inFlight += 1;
      counts.maxInFlight = Math.max(counts.maxInFlight, counts.inFlight);
      try {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const result = await next(args);
        counts.sent += 1;
        return result;
      } finally {
        counts.inFlight -= 1;
      }
    },
    { step: 'initialize', name: 'countInFlight' },
  );
  return { client, counts };
}

async function submitBatch(env: Record<string, string>) {
  const ses = slowCountingSes();
  const api = await startRpcTestApi({ env: { RPC_BATCH_CONCURRENCY: '20', ...env }, overrides: { ses: ses.client } });
  apis.push(api);
  const addresses = freshAddresses(5, 'sandbox');
  const result = await popCoreClient(api.baseUrl, api.key).request<SendLists>(
    'SubmitEmailVerification',
    { Email: addresses.join(','), Format: 'JSON' },
    { method: 'POST' },
  );
  return { result, counts: ses.counts, config: api.deps.config };
}

test('SES_SANDBOX=true: one send at a time, every address still mailed', async () => {
  const { result, counts, config } = await submitBatch({ SES_SANDBOX: 'true' });
  expect(config.rpc.batchConcurrency).toBe(1);
  expect(result.SuccessList).toHaveLength(5);
  expect(counts).toEqual({ inFlight: 0, maxInFlight: 1, sent: 5 });
});

test('out of the sandbox the same batch overlaps its sends (RPC_BATCH_CONCURRENCY)', async () => {
  const { result, counts, config } = await submitBatch({ SES_SANDBOX: 'false' });
  expect(config.rpc.batchConcurrency).toBe(20);
  expect(result.SuccessList).toHaveLength(5);
  expect(counts.maxInFlight).toBeGreaterThan(1);
});
