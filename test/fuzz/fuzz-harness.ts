/**
 * Property-based fuzzing of both APIs through the real handlers, in-process, against DynamoDB
 * Local and the local SES. Shared by the seeded slice in `npm test` (fuzz.test.ts) and the long
 * run, `npm run fuzz` (run-fuzz.ts).
 *
 * Every RPC request is validly signed (unless the case is a forged one) and carries hostile
 * values: unicode, control characters, CR/LF, NUL, `%` sequences, duplicated parameters,
 * hundreds of commas, up to 1,000 addresses, XML and JSON metacharacters, odd Lang, Format and
 * UserClientIp, over-long nonces. IAM requests vary headers, bodies, content types and the type
 * of the code field. Each answer is checked as it comes (no 5xx, the body parses in the format
 * asked and is within its bound); at the end every mail the run caused is checked (to a valid
 * address, exactly as many as the answers reported, never more than the quota allows).
 */
import fc from 'fast-check';
import { XMLValidator } from 'fast-xml-parser';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ROUTES } from '../../lambdas/routes.js';
import { buildProxyEvent } from '../../local/proxy-event.js';
import { JSON_CONTENT_TYPE, MAX_ERROR_BODY_BYTES, XML_CONTENT_TYPE } from '../../src/aliyun-rpc/index.js';
import { normalizeEmailAddress } from '../../src/domain/address.js';
import { iamResponseProblems } from '../support/openapi-iam.js';
import { type InProcessService } from '../support/in-process.js';
import { encodeRpcParams, parseXml, rpcTimestamp, signRpcParams } from '../support/rpc-clients.js';
import { readInbox } from '../support/ses-inbox.js';

/** The configuration the fuzzed service runs with: a small quota, so that it is reached often. */
export const FUZZ_SETTINGS = {
  RESEND_COOLDOWN_SECONDS: '0',
  RESEND_MAX_PER_WINDOW: '3',
  RESEND_WINDOW_SECONDS: '3600',
  RPC_MAX_VERIFICATIONS_PER_DAY: '1000000',
} as const;
const QUOTA = Number(FUZZ_SETTINGS.RESEND_MAX_PER_WINDOW);
/** A batch answer holds at most one entry per address given; each entry is bounded. */
const MAX_ANSWER_BASE_BYTES = 1_024;
const MAX_ANSWER_BYTES_PER_ENTRY = 2_304;

export interface FuzzStats {
  rpcRequests: number;
  iamRequests: number;
  serverErrors: number;
  bodiesChecked: number;
  successes: number;
  mailsChecked: number;
  largestErrorBytes: number;
  largestAnswerBytes: number;
  codes: Record<string, number>;
}

export class FuzzHarness {
  readonly stats: FuzzStats = {
    rpcRequests: 0,
    iamRequests: 0,
    serverErrors: 0,
    bodiesChecked: 0,
    successes: 0,
    mailsChecked: 0,
    largestErrorBytes: 0,
    largestAnswerBytes: 0,
    codes: {},
  };
  /** Mails the answers said went out, by record key. */
  private readonly expected = new Map<string, number>();
  private readonly usedNonces: string[] = [];
  readonly startedAt = Math.floor(Date.now() / 1000) - 1;

  private constructor(
    readonly service: InProcessService,
    /** Valid addresses in this run's own domain, with their session tokens. */
    readonly pool: readonly string[],
    private readonly tokens: ReadonlyMap<string, string>,
    readonly domain: string,
  ) {}

  /** A harness on `service` (built with FUZZ_SETTINGS): a pool of addresses, half of them submitted. */
  static async start(service: InProcessService, poolSize = 40): Promise<FuzzHarness> {
    const run = randomUUID().slice(0, 8);
    const domain = `fuzz-${run}.example`;
    const pool = Array.from({ length: poolSize }, (_, i) => `fz${i}.${run}@${domain}`);
    const tokens = new Map<string, string>();
    for (const address of pool) tokens.set(address, await service.deps.sessionTokens.issue(normalizeEmailAddress(address), Date.now()));
    const harness = new FuzzHarness(service, pool, tokens, domain);
    await harness.rpc({ method: 'POST', params: [['Action', 'SubmitEmailVerification'], ['Email', pool.slice(0, poolSize / 2).join(',')]], format: 'JSON' });
    return harness;
  }

  // -------------------------------------------------------------------------------------------
  // RPC

  async rpc(request: RpcFuzzRequest): Promise<void> {
    const params = Object.fromEntries(request.params) as Record<string, string>;
    if (request.format !== undefined) params.Format = request.format;
    const nonce = request.nonce === 'reuse' ? this.usedNonces[this.usedNonces.length - 1] : request.nonce;
    const signed = signRpcParams(params, {
      key: this.service.key,
      method: request.method,
      ...(nonce !== undefined ? { nonce } : {}),
      ...(request.timestamp !== undefined ? { timestamp: request.timestamp } : {}),
    });
    this.usedNonces.push(signed.SignatureNonce!);
    if (this.usedNonces.length > 100) this.usedNonces.shift();
    if (request.forged) signed.Signature = `${signed.Signature}x`;
    let wire = encodeRpcParams(signed);
    if (request.duplicate) wire += `&${encodeRpcParams(Object.fromEntries([request.duplicate]))}`;
    const event = buildProxyEvent({
      method: request.method,
      path: '/',
      resource: ROUTES.rpcGet.path,
      headers: {
        Host: 'fuzz.execute-api.us-east-1.amazonaws.com',
        ...(request.method === 'POST' ? { 'Content-Type': request.contentType ?? 'application/x-www-form-urlencoded' } : {}),
      },
      ...(request.method === 'GET' ? { query: wire } : { body: wire }),
    });
    const result = await this.service.invoke('rpc', event);
    this.stats.rpcRequests++;
    // Format is read from the query or a form body: in a body of another type it was not asked.
    const readable = request.method === 'GET' || (request.contentType ?? FORM).split(';')[0]!.trim().toLowerCase() === FORM;
    this.checkRpcAnswer(result, askedFormat(readable ? params.Format : undefined), signed.Email);
  }

  private checkRpcAnswer(result: APIGatewayProxyResult, format: 'JSON' | 'XML', email: string | undefined): void {
    const bytes = Buffer.byteLength(result.body);
    if (result.statusCode >= 500) {
      this.stats.serverErrors++;
      throw new Error(`RPC answered ${result.statusCode}: ${result.body.slice(0, 500)}`);
    }
    const type = result.headers?.['Content-Type'];
    if (type !== (format === 'JSON' ? JSON_CONTENT_TYPE : XML_CONTENT_TYPE)) {
      throw new Error(`asked for ${format}, answered ${String(type)}: ${result.body.slice(0, 300)}`);
    }
    let body: Record<string, unknown>;
    if (format === 'JSON') body = JSON.parse(result.body) as Record<string, unknown>;
    else {
      const valid = XMLValidator.validate(result.body);
      if (valid !== true) throw new Error(`malformed XML (${JSON.stringify(valid)}): ${result.body.slice(0, 300)}`);
      const document = parseXml(result.body);
      const [root] = Object.keys(document);
      body = document[root!] as Record<string, unknown>;
    }
    this.stats.bodiesChecked++;
    if (typeof body.Code === 'string') {
      this.count(body.Code);
      if (process.env.FUZZ_DEBUG) this.count(`${body.Code}: ${String(body.Message).slice(0, 60)}`);
      if (JSON.stringify(Object.keys(body)) !== JSON.stringify(['RequestId', 'HostId', 'Code', 'Message', 'Recommend'])) {
        throw new Error(`error body with fields ${Object.keys(body).join(',')}`);
      }
      this.stats.largestErrorBytes = Math.max(this.stats.largestErrorBytes, bytes);
      if (bytes > MAX_ERROR_BODY_BYTES) throw new Error(`error answer of ${bytes} bytes`);
      return;
    }
    if (typeof body.RequestId !== 'string' || body.RequestId === '') throw new Error(`success without RequestId: ${result.body.slice(0, 200)}`);
    const entries = (['SuccessList', 'FailList', 'ExistList'] as const).flatMap((list) => entriesOf(body[list]));
    this.stats.largestAnswerBytes = Math.max(this.stats.largestAnswerBytes, bytes);
    const given = (email ?? '').split(',').length;
    if (bytes > MAX_ANSWER_BASE_BYTES + MAX_ANSWER_BYTES_PER_ENTRY * Math.max(1, given)) throw new Error(`answer of ${bytes} bytes for ${given} entries`);
    for (const entry of entries) {
      this.count(entry.Code);
      if (entry.Code === 'Success') {
        this.stats.successes++;
        this.expect(entry.Email);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // IAM

  async iam(request: IamFuzzRequest): Promise<void> {
    const route = ROUTES[request.route];
    const token = request.auth.kind === 'pool' ? this.tokens.get(this.pool[request.auth.index % this.pool.length]!) : undefined;
    const headers: Array<[string, string]> = [['Host', 'fuzz.execute-api.us-east-1.amazonaws.com']];
    if (request.auth.kind === 'pool') headers.push(['Authorization', `Bearer ${token}`]);
    if (request.auth.kind === 'raw') headers.push(['Authorization', request.auth.value]);
    if (request.auth.kind === 'twice') headers.push(['Authorization', `Bearer ${this.tokens.get(this.pool[0]!)}`], ['authorization', 'Bearer x.y.z']);
    if (request.contentType !== undefined) headers.push(['Content-Type', request.contentType]);
    if (request.acceptLanguage !== undefined) headers.push(['Accept-Language', request.acceptLanguage]);
    headers.push(...request.headers);
    const event: APIGatewayProxyEvent = buildProxyEvent({
      method: 'POST',
      path: route.path,
      headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
    });
    const result = await this.service.invoke('iam', event);
    this.stats.iamRequests++;
    if (result.statusCode >= 500) {
      this.stats.serverErrors++;
      throw new Error(`IAM answered ${result.statusCode}: ${result.body.slice(0, 500)}`);
    }
    const problems = iamResponseProblems(route.path, 'POST', result.statusCode, result.headers ?? {}, result.body);
    if (problems.length > 0) throw new Error(`IAM answer outside openapi/iam-api.yaml: ${problems.join('; ')}`);
    this.stats.bodiesChecked++;
    const bytes = Buffer.byteLength(result.body);
    if (result.statusCode >= 400) {
      this.stats.largestErrorBytes = Math.max(this.stats.largestErrorBytes, bytes);
      if (bytes > MAX_ERROR_BODY_BYTES) throw new Error(`IAM error answer of ${bytes} bytes`);
    }
    this.count(`iam-${result.statusCode}`);
    if (request.route === 'resendCode' && result.statusCode === 201 && request.auth.kind !== 'none') {
      this.stats.successes++;
      this.expect(request.auth.kind === 'pool' ? this.pool[request.auth.index % this.pool.length]! : this.pool[0]!);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Mails

  /**
   * Every mail since the run started: to a valid address, and, for the addresses the run mailed,
   * exactly as many as the answers reported and never more than the quota.
   */
  async checkMails(): Promise<void> {
    const mails = (await readInbox()).filter((mail) => mail.at >= this.startedAt);
    const actual = new Map<string, number>();
    for (const mail of mails) {
      const recipients = [...mail.destination.to, ...mail.destination.cc, ...mail.destination.bcc];
      if (recipients.length !== 1) throw new Error(`a mail to ${recipients.length} recipients: ${JSON.stringify(recipients)}`);
      const recipient = recipients[0]!;
      let key: string;
      try {
        const address = normalizeEmailAddress(recipient);
        if (address.address !== recipient) throw new Error('not in normal form');
        key = address.key;
      } catch (error) {
        throw new Error(`a mail went to an invalid address ${JSON.stringify(recipient)}: ${(error as Error).message}`);
      }
      if (!this.expected.has(key) && !key.endsWith(`@${this.domain}`)) continue; // another test's mail
      actual.set(key, (actual.get(key) ?? 0) + 1);
      this.stats.mailsChecked++;
    }
    for (const key of new Set([...actual.keys(), ...this.expected.keys()])) {
      const [sent, reported] = [actual.get(key) ?? 0, this.expected.get(key) ?? 0];
      if (sent !== reported) throw new Error(`${key}: ${sent} mails, ${reported} reported sent`);
      if (sent > QUOTA) throw new Error(`${key}: ${sent} mails, over the quota of ${QUOTA}`);
    }
  }

  private expect(email: string): void {
    const key = normalizeEmailAddress(email).key;
    this.expected.set(key, (this.expected.get(key) ?? 0) + 1);
  }

  private count(code: string): void {
    this.stats.codes[code] = (this.stats.codes[code] ?? 0) + 1;
  }
}

const FORM = 'application/x-www-form-urlencoded';

/** The format an answer must be in, by the rule the API documents (not by the service's code). */
function askedFormat(format: string | undefined): 'JSON' | 'XML' {
  return format?.toUpperCase() === 'JSON' ? 'JSON' : 'XML';
}

function entriesOf(list: unknown): Array<{ Email: string; Code: string }> {
  if (list === undefined || list === null || list === '') return [];
  if (Array.isArray(list)) return list as Array<{ Email: string; Code: string }>;
  const items = (list as { SendResult?: unknown }).SendResult;
  return Array.isArray(items) ? (items as Array<{ Email: string; Code: string }>) : [];
}

// ---------------------------------------------------------------------------------------------
// Requests

export interface RpcFuzzRequest {
  readonly method: 'GET' | 'POST';
  /** Parameters besides the common ones, signed with them. */
  readonly params: ReadonlyArray<readonly [string, string]>;
  readonly format?: string;
  /** A nonce to send; `reuse` sends the previous request's again. */
  readonly nonce?: string;
  readonly timestamp?: string;
  /** A parameter repeated after signing. */
  readonly duplicate?: readonly [string, string];
  readonly forged?: boolean;
  readonly contentType?: string;
}

export interface IamFuzzRequest {
  readonly route: 'resendCode' | 'verifyCode';
  readonly auth: { kind: 'pool'; index: number } | { kind: 'raw'; value: string } | { kind: 'none' } | { kind: 'twice' };
  readonly contentType?: string;
  readonly acceptLanguage?: string;
  readonly body?: string;
  readonly headers: Array<[string, string]>;
}

/** Characters that break parsers, encoders and mail headers when they slip through. */
const NASTY = ['\r', '\n', '\r\n', '\0', '\t', '%', '%2', '%ZZ', '%E0%A4%A', '%ED%A0%80', '%00', '%0D%0A', '&', '=', '+', '<', '>', '"', "'", ']]>', '<!--', '{', '}', '[', ']', '\\', ',', ';', '@', ' ', '\u2028', '\uFEFF', '\u0085', '\uFFFE', '\u{1F600}', 'é', '中', 'ﬆ', 'ß'];
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'prototype'];

const nastyUnit = fc.oneof(fc.constantFrom(...NASTY), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.constantFrom('a', 'b', '0', '.', '-', '_'));
/**
 * Text a client can send: anything but lone surrogates, which have no UTF-8 form and so cannot
 * be percent-encoded (a `%ED%A0%80` on the wire is covered by the `%` sequences instead).
 */
export const hostileText = (maxLength = 40) =>
  fc.string({ unit: nastyUnit, maxLength }).map((text) => text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'));

function emailEntry(harness: FuzzHarness) {
  const pooled = fc.nat().map((i) => harness.pool[i % harness.pool.length]!);
  return fc.oneof(
    { weight: 6, arbitrary: pooled },
    { weight: 2, arbitrary: pooled.map((address) => address.toUpperCase()) },
    { weight: 1, arbitrary: pooled.map((address) => ` \t${address}  `) },
    { weight: 2, arbitrary: fc.uuid().map((id) => `new-${id.slice(0, 8)}@${harness.domain}`) },
    { weight: 3, arbitrary: hostileText() },
    { weight: 2, arbitrary: fc.tuple(hostileText(12), fc.constantFrom(harness.domain, 'example.com', 'EXAMPLE.com', 'xn--e1afmkfd.example', 'пример.example')).map(([local, domain]) => `${local}@${domain}`) },
    { weight: 1, arbitrary: fc.tuple(pooled, hostileText(6)).map(([address, tail]) => `${address}${tail}`) },
    { weight: 1, arbitrary: fc.integer({ min: 255, max: 3_000 }).map((length) => `${'x'.repeat(length)}@${harness.domain}`) },
  );
}

function emailParam(harness: FuzzHarness) {
  return fc.oneof(
    { weight: 8, arbitrary: fc.array(emailEntry(harness), { minLength: 1, maxLength: 6 }).map((entries) => entries.join(',')) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 600 }).map((commas) => ','.repeat(commas)) },
    { weight: 1, arbitrary: fc.tuple(emailEntry(harness), fc.integer({ min: 50, max: 400 })).map(([entry, commas]) => `${','.repeat(commas)}${entry}${','.repeat(commas)}`) },
    { weight: 1, arbitrary: fc.constantFrom(51, 1_000).map((count) => Array.from({ length: count }, (_, i) => `a${i}@b.example`).join(',')) },
    { weight: 1, arbitrary: hostileText(200) },
  );
}

const ipAddress = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.ipV4().map((ip) => `::ffff:${ip}`),
  fc.ipV4().map((ip) => `::FFFF:${ip}`),
  fc.tuple(fc.ipV6(), hostileText(30)).map(([ip, zone]) => `${ip}%${zone}`),
  fc.constant(`fe80::1%${'z'.repeat(3_000)}`),
  hostileText(30),
);

/** `arbitrary` once in `oneIn` draws, null otherwise. */
function rarely<T>(arbitrary: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });
}

export function rpcRequests(harness: FuzzHarness): fc.Arbitrary<RpcFuzzRequest> {
  const action = fc.oneof(
    { weight: 5, arbitrary: fc.constant('ResendEmailVerification') },
    { weight: 4, arbitrary: fc.constant('SubmitEmailVerification') },
    { weight: 1, arbitrary: fc.constant('QueryEmailVerification') },
    { weight: 1, arbitrary: fc.constant('VerifyEmail') },
    { weight: 1, arbitrary: fc.oneof(hostileText(20), fc.constantFrom(...PROTOTYPE_NAMES)) },
  );
  /** Absent, a usual value or a hostile one, by weight, so that most requests get past their parameters. */
  const param = (name: string, absent: number, usual: fc.Arbitrary<string>, hostile: fc.Arbitrary<string>, weights: [number, number]) =>
    fc.oneof(
      { weight: absent, arbitrary: fc.constant([] as Array<readonly [string, string]>) },
      { weight: weights[0], arbitrary: usual.map((value) => [[name, value] as const]) },
      { weight: weights[1], arbitrary: hostile.map((value) => [[name, value] as const]) },
    );
  const lang = param('Lang', 4, fc.constantFrom('en', 'zh', 'EN', 'Zh'), fc.oneof(fc.constantFrom('zh-CN', 'fr', ''), hostileText(8)), [4, 1]);
  const ip = param('UserClientIp', 5, fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4().map((v4) => `::ffff:${v4}`)), ipAddress, [4, 1]);
  const sendIfExist = param('SendIfExist', 6, fc.constantFrom('true', 'false', 'TRUE'), fc.oneof(fc.constant('yes'), hostileText(6)), [3, 1]);
  const token = param('Token', 9, fc.constant('eyJhbGciOiJIUzI1NiJ9.e30.x'), hostileText(60), [0, 1]);
  const extra = fc.array(
    fc.tuple(
      fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES, 'RegionId') }, { weight: 2, arbitrary: hostileText(16) }, { weight: 1, arbitrary: fc.constantFrom('Lang', 'Email', 'Version') }),
      hostileText(30),
    ),
    { maxLength: 2 },
  );
  return fc
    .record({
      method: fc.constantFrom('GET' as const, 'POST' as const),
      action,
      email: fc.option(emailParam(harness), { freq: 12 }),
      lang,
      ip,
      sendIfExist,
      token,
      extra,
      format: fc.option(fc.oneof({ weight: 5, arbitrary: fc.constantFrom('JSON', 'json', 'XML', 'xml', 'Json') }, { weight: 1, arbitrary: hostileText(8) }), { freq: 4 }),
      nonce: rarely(fc.oneof(fc.constant('reuse'), fc.integer({ min: 380, max: 2_500 }).map((n) => 'n'.repeat(n)), hostileText(20)), 8),
      timestamp: rarely(fc.oneof(fc.constantFrom('2016-02-23T12:46:24Z', rpcTimestamp(new Date(Date.now() + 3_600_000))), hostileText(20)), 15),
      duplicate: rarely(fc.tuple(fc.constantFrom('Email', 'Format', 'Action', 'Signature', 'Lang'), hostileText(10)), 15),
      forged: rarely(fc.constant(true), 20),
      contentType: rarely(fc.constantFrom('text/plain', 'application/json', 'application/x-www-form-urlencoded; charset=utf-8'), 15),
    })
    .map((r) => ({
      method: r.method,
      params: [['Action', r.action] as const, ...(r.email === null ? [] : [['Email', r.email] as const]), ...r.lang, ...r.ip, ...r.sendIfExist, ...r.token, ...r.extra],
      ...(r.format === null ? {} : { format: r.format }),
      ...(r.nonce === null ? {} : { nonce: r.nonce }),
      ...(r.timestamp === null ? {} : { timestamp: r.timestamp }),
      ...(r.duplicate === null ? {} : { duplicate: r.duplicate }),
      ...(r.forged ? { forged: true } : {}),
      ...(r.contentType === null ? {} : { contentType: r.contentType }),
    }));
}

export function iamRequests(harness: FuzzHarness): fc.Arbitrary<IamFuzzRequest> {
  const code = fc.oneof(
    fc.integer({ min: 0, max: 999_999 }).map((n) => JSON.stringify(String(n).padStart(6, '0'))),
    fc.integer().map(String),
    fc.constantFrom('null', 'true', '[]', '[1,2]', '{}', '{"a":1}', '1e400', '-0', '""', '"12345"', '"1234567"', '" 123456"'),
    hostileText(30).map((text) => JSON.stringify(text)),
  );
  const body = fc.oneof(
    { weight: 6, arbitrary: code.map((value) => `{"code":${value}}`) },
    { weight: 1, arbitrary: code.map((value) => `{"__proto__":{"code":${value}},"constructor":1}`) },
    { weight: 1, arbitrary: hostileText(80) },
    { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 5_000 }).map((n) => `{"code":"${'1'.repeat(n)}"}`) },
    { weight: 1, arbitrary: fc.constantFrom('', '{', '[]', 'null', '"123456"', 'code=123456') },
  );
  const auth = fc.oneof(
    { weight: 6, arbitrary: fc.nat().map((index) => ({ kind: 'pool' as const, index })) },
    { weight: 2, arbitrary: fc.oneof(hostileText(60), fc.constantFrom('Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'bearer a.b.c', `Bearer ${'a'.repeat(9_000)}`)).map((value) => ({ kind: 'raw' as const, value })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'twice' as const }) },
  );
  const header = fc.tuple(fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES, 'X-Forwarded-For', 'Content-Length'), fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/)), hostileText(30));
  return fc.record({
    route: fc.constantFrom('resendCode' as const, 'verifyCode' as const),
    auth,
    contentType: fc.option(fc.oneof(fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/problem+json', 'text/plain', 'application/x-www-form-urlencoded', 'APPLICATION/JSON'), hostileText(20)), { freq: 5 }).map((value) => value ?? undefined),
    acceptLanguage: fc.option(fc.oneof(fc.constantFrom('zh-CN,zh;q=0.9', 'en', '*', 'zh'), hostileText(20)), { freq: 3 }).map((value) => value ?? undefined),
    body: fc.option(body, { freq: 6 }).map((value) => value ?? undefined),
    headers: fc.array(header, { maxLength: 3 }),
  }).map((request) => ({
    ...request,
    // Text that is no HTTP header value (CR, LF, NUL) cannot reach API Gateway as one.
    headers: request.headers.filter(([, value]) => !/[\r\n\0]/.test(value)),
    ...(request.contentType !== undefined && /[\r\n\0]/.test(request.contentType) ? { contentType: undefined } : {}),
    ...(request.acceptLanguage !== undefined && /[\r\n\0]/.test(request.acceptLanguage) ? { acceptLanguage: undefined } : {}),
    ...(request.auth.kind === 'raw' && /[\r\n\0]/.test(request.auth.value) ? { auth: { kind: 'none' as const } } : {}),
  }));
}
