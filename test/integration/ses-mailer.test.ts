/**
 * What the mailer puts on the wire. The real SES client sends to a local HTTP endpoint that
 * records each request and answers as SES does, so the test reads the SendEmail call itself; and
 * to the local SES (aws-ses-v2-local), for what SES receives for each form of MAIL_FROM.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SESClient } from '@aws-sdk/client-ses';
import { loadServiceSecrets } from '../../src/adapters/service-secrets.js';
import { SesMailer } from '../../src/adapters/ses-mailer.js';
import { loadConfig } from '../../src/config.js';
import { parseSender } from '../../src/domain/sender.js';
import { createServiceDependencies } from '../../src/service-dependencies.js';
import { freshAddress } from '../support/fresh-address.js';
import { waitForMailTo } from '../support/ses-inbox.js';

const calls: URLSearchParams[] = [];
let server: Server;
let endpoint: string;
const clients: SESClient[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      calls.push(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      res.setHeader('Content-Type', 'text/xml');
      res.end(
        '<SendEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><SendEmailResult><MessageId>m-1</MessageId>' +
          '</SendEmailResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></SendEmailResponse>',
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function sesClient(): SESClient {
  const client = new SESClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  clients.push(client);
  return client;
}

function mailer(from: string, configurationSet?: string): SesMailer {
  return new SesMailer(sesClient(), parseSender(from), configurationSet);
}

const MAIL = { to: 'someone@example.com', subject: 'Your code', text: 'Code: 123456', html: '<p>Code: 123456</p>' };

test('every send names the configuration set, and the display name of MAIL_FROM goes out as given', async () => {
  calls.length = 0;
  await mailer('Example Sign-up <no-reply@example.com>', 'email-verification-set').send(MAIL);
  expect(calls).toHaveLength(1);
  const call = calls[0]!;
  expect(call.get('Action')).toBe('SendEmail');
  expect(call.get('ConfigurationSetName')).toBe('email-verification-set');
  expect(call.get('Source')).toBe('Example Sign-up <no-reply@example.com>');
  expect(call.get('Destination.ToAddresses.member.1')).toBe('someone@example.com');
});

test('without a configuration set (locally), none is named', async () => {
  calls.length = 0;
  await mailer('no-reply@example.com').send(MAIL);
  expect(calls).toHaveLength(1);
  expect(calls[0]!.has('ConfigurationSetName')).toBe(false);
  expect(calls[0]!.get('Source')).toBe('no-reply@example.com');
});

test('SES_CONFIGURATION_SET and MAIL_FROM reach the service mailer', async () => {
  calls.length = 0;
  const env = { ...process.env, SES_CONFIGURATION_SET: 'from-the-stack', MAIL_FROM: 'Example <hello@example.com>' };
  const deps = createServiceDependencies(loadConfig(env), await loadServiceSecrets(env), { ses: sesClient() });
  await deps.mailer.send(MAIL);
  expect([calls[0]!.get('ConfigurationSetName'), calls[0]!.get('Source')]).toEqual(['from-the-stack', 'Example <hello@example.com>']);
});

test('the local SES takes a send that names a configuration set (as under sam local, where the stack sets one)', async () => {
  const client = new SESClient({
    endpoint: process.env.SES_ENDPOINT,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  clients.push(client);
  const to = freshAddress('configuration-set');
  await new SesMailer(client, parseSender('Example <no-reply@example.com>'), 'email-verification-set').send({ ...MAIL, to });
  expect((await waitForMailTo(to)).subject).toBe(MAIL.subject);
});

describe('MAIL_FROM as the local SES receives it', () => {
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
});
