/**
 * What one resend writes, measured on DynamoDB Local with DynamoDB's item-size rules: every item
 * stays under 1 KB, so every write of it is one write request unit (the README's cost per million
 * resends rests on this). The record is measured at its largest: after the most sends a window
 * allows, with a long address and every optional attribute set.
 */
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { startEmailVerification } from '../../src/start-email-verification.js';
import { resendVerificationCode } from '../../src/domain/send-verification-code.js';
import { normalizeEmailAddress } from '../../src/domain/address.js';
import { PARTITION_KEY } from '../../src/adapters/table-schema.js';
import { freshAccessKey, freshClientIp, popCoreClient, startRpcTestApi, type SendLists } from '../support/rpc-clients.js';
import { freshAddress } from '../support/fresh-address.js';

/** DynamoDB's documented item size: attribute names plus values (numbers ~1 byte per 2 digits + 1). */
export function itemSize(item: Record<string, AttributeValue>): number {
  const valueSize = (value: AttributeValue): number => {
    if (value.S !== undefined) return Buffer.byteLength(value.S);
    if (value.N !== undefined) return Math.ceil(value.N.replace(/^-|\.|^0+/g, '').length / 2) + 1;
    if (value.B !== undefined) return value.B.length;
    if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
    if (value.L !== undefined) return 3 + value.L.reduce((sum, element) => sum + 1 + valueSize(element), 0);
    if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((sum, [name, element]) => sum + 1 + Buffer.byteLength(name) + valueSize(element), 0);
    if (value.SS !== undefined) return value.SS.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
    if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + Math.ceil(n.length / 2) + 1, 0);
    throw new Error(`unsized attribute ${JSON.stringify(value)}`);
  };
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueSize(value), 0);
}

const dynamodb = new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: process.env.AWS_REGION });
afterAll(() => dynamodb.destroy());

async function itemsWith(fragment: string): Promise<Array<Record<string, AttributeValue>>> {
  const { Items } = await dynamodb.send(
    new ScanCommand({
      TableName: process.env.TABLE_NAME,
      FilterExpression: 'contains(#pk, :fragment)',
      ExpressionAttributeNames: { '#pk': PARTITION_KEY },
      ExpressionAttributeValues: { ':fragment': { S: fragment } },
    }),
  );
  return Items ?? [];
}

test('the verification record after a full window of sends, with a long address: under 1 KB', async () => {
  const api = await startRpcTestApi({ env: { RESEND_COOLDOWN_SECONDS: '0' } });
  try {
    const address = freshAddress(`a-long-local-part-of-an-address-${'x'.repeat(20)}`, 'a-rather-long-subdomain.example-company.co.uk');
    await startEmailVerification(address, { dependencies: api.deps });
    for (let send = 2; send <= api.deps.config.quota.maxPerWindow; send++) {
      await resendVerificationCode(api.deps.send, { address: normalizeEmailAddress(address), lang: 'zh', clientIp: '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff' });
    }
    const [record] = await itemsWith(address.toLowerCase());
    expect(record).toBeDefined();
    const size = itemSize(record!);
    expect(size).toBeGreaterThan(200);
    expect(size).toBeLessThan(1024);
  } finally {
    await api.stop();
  }
});

test('what an RPC request adds (its nonce, the per-key and per-IP counters): each under 1 KB', async () => {
  const key = freshAccessKey('size');
  const ip = freshClientIp();
  const api = await startRpcTestApi({ key });
  try {
    const answer = await popCoreClient(api.baseUrl, key).request<SendLists>(
      'SubmitEmailVerification',
      { Email: freshAddress('size-rpc'), UserClientIp: ip },
      { method: 'POST' },
    );
    expect(answer.SuccessList).toHaveLength(1);
    const extra = [...(await itemsWith(key.accessKeyId)), ...(await itemsWith(ip))];
    expect(extra.length).toBeGreaterThanOrEqual(3);
    for (const item of extra) expect(itemSize(item)).toBeLessThan(1024);
  } finally {
    await api.stop();
  }
});
