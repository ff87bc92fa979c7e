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

/** One line per address: its list, code and message. */
function show(title, answer) {
  console.log(title);
  for (const list of ['SuccessList', 'FailList', 'ExistList']) {
    for (const { Email: email, Code, Message, RetryAfter } of answer[list] ?? []) {
      console.log(`  ${list.padEnd(11)} ${email} ${Code}${RetryAfter ? ` (RetryAfter ${RetryAfter} s)` : ''}: ${Message}`);
    }
  }
}

// Starts both verifications: each address gets a code and a one-click link.
show('Submit', await client.request('SubmitEmailVerification', { Email, Lang: 'en' }, post));

// Right away a resend is refused: the first mail counts against RESEND_COOLDOWN_SECONDS.
const early = await client.request('ResendEmailVerification', { Email }, post);
show('Resend right away', early);

// Each refusal says when the address may be mailed again; after that the resend goes out.
const wait = Math.max(0, ...early.FailList.map((entry) => entry.RetryAfter ?? 0));
console.log(`Waiting ${wait} s`);
await new Promise((resolve) => setTimeout(resolve, wait * 1000));
show('Resend after the cooldown, in Chinese', await client.request('ResendEmailVerification', { Email, Lang: 'zh' }, post));

const status = await client.request('QueryEmailVerification', { Email: 'alice@example.com' });
console.log(`Query: ${status.Email} VerificationStatus ${status.VerificationStatus} (0 pending, 1 verified)`);
