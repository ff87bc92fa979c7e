/**
 * The SES mailer's Source against the local SES (aws-ses-v2-local), through the real SDK client:
 * what SES receives for each form of MAIL_FROM.
 */
import { SESClient } from '@aws-sdk/client-ses';
import { SesMailer } from '../../src/adapters/ses-mailer.js';
import { parseSender } from '../../src/domain/sender.js';
import { freshAddress } from '../support/fresh-address.js';
import { waitForMailTo } from '../support/ses-inbox.js';

const ses = new SESClient({ endpoint: process.env.SES_ENDPOINT, region: process.env.AWS_REGION });
afterAll(() => ses.destroy());

async function sentFrom(mailFrom: string): Promise<string> {
  const to = freshAddress('sender');
  await new SesMailer(ses, parseSender(mailFrom)).send({ to, subject: 'Sender test', text: 'text', html: '<p>html</p>' });
  return (await waitForMailTo(to)).from;
}

test.each([
  ['no-reply@example.org', 'no-reply@example.org'],
  ['Acme Sign-up <no-reply@Example.org>', 'Acme Sign-up <no-reply@example.org>'],
  ['"Acme, Inc." <no-reply@example.org>', '"Acme, Inc." <no-reply@example.org>'],
  ['Zoë Müller <no-reply@example.org>', `=?UTF-8?B?${Buffer.from('Zoë Müller').toString('base64')}?= <no-reply@example.org>`],
])('MAIL_FROM %j is sent as Source %j', async (mailFrom, source) => {
  const from = await sentFrom(mailFrom);
  expect(from).toBe(source);
  // What SES gets is 7-bit: a raw non-ASCII display name never reaches it.
  expect(from).toMatch(/^[\x20-\x7e]+$/);
});
