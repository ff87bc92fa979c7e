// The RPC API with the unmodified Aliyun client, against `npm start` (node examples/rpc-quickstart.mjs).
import RPCClient from '@alicloud/pop-core';

const client = new RPCClient({
  accessKeyId: 'local-access-key-id',
  accessKeySecret: 'local-access-key-secret',
  endpoint: 'http://127.0.0.1:3000',
  apiVersion: '2018-01-29',
});
const Email = 'alice@example.com,bob@example.com';
const post = { method: 'POST' };

// Starts both verifications: each address gets a code and a one-click link.
const submitted = await client.request('SubmitEmailVerification', { Email, Lang: 'en' }, post);
console.log('Submit', { SuccessList: submitted.SuccessList, FailList: submitted.FailList, ExistList: submitted.ExistList });

// Right away a resend is refused: the first mail counts against RESEND_COOLDOWN_SECONDS.
const early = await client.request('ResendEmailVerification', { Email }, post);
console.log('Resend now', { SuccessList: early.SuccessList, FailList: early.FailList });

// Each refusal says when the address may be mailed again; after that the resend goes out.
const wait = Math.max(0, ...early.FailList.map((entry) => entry.RetryAfter ?? 0));
console.log(`Waiting ${wait} s`);
await new Promise((resolve) => setTimeout(resolve, wait * 1000));
const later = await client.request('ResendEmailVerification', { Email, Lang: 'zh' }, post);
console.log('Resend later', { SuccessList: later.SuccessList, FailList: later.FailList });

const status = await client.request('QueryEmailVerification', { Email: 'alice@example.com' });
console.log('Query', { Email: status.Email, VerificationStatus: status.VerificationStatus });
