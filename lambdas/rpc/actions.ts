import {
  invalidParameter,
  missingEmail,
  missingParameter,
  type RpcBody,
} from '../../src/aliyun-rpc/index.js';
import { normalizeEmailAddress, type EmailAddress } from '../../src/domain/address.js';
import { parseClientIp, type ClientIp } from '../../src/domain/client-ip.js';
import { parseEmailList } from '../../src/domain/email-list.js';
import { VerificationNotFoundError } from '../../src/domain/errors.js';
import { parseLang, type Lang } from '../../src/domain/lang.js';
import { requestLimits } from '../../src/domain/request-limits.js';
import { sendBatch, type BatchRequest } from '../../src/domain/send-batch.js';
import { verifyByLink } from '../../src/domain/verify-address.js';
import { isLive } from '../../src/domain/verification-record.js';
import { maskEmail } from '../../src/observability/mask-email.js';
import type { TimeBudget } from '../../src/domain/time-budget.js';
import { countSendOutcome } from '../../src/observability/outcome-metrics.js';
import type { RequestObservation } from '../../src/observability/request-log.js';
import type { ServiceDependencies } from '../../src/service-dependencies.js';
import { sortSendResults } from './send-results.js';
import { verificationLink } from './verification-link.js';

export interface ActionContext {
  readonly params: Readonly<Record<string, string>>;
  readonly accessKeyId: string;
  readonly requestId: string;
  /** Base URL of this API, for the link in the mail. */
  readonly publicBaseUrl: string;
  /** Log fields, metrics and debug detail of the request. */
  readonly observation: RequestObservation;
  readonly budget: TimeBudget;
}

export interface ActionResult {
  readonly body: RpcBody;
  readonly listItemNames?: Readonly<Record<string, string>>;
}

export type Action = (deps: ServiceDependencies, context: ActionContext) => Promise<ActionResult>;

const SEND_RESULT_LISTS = { SuccessList: 'SendResult', FailList: 'SendResult', ExistList: 'SendResult' };

/**
 * The actions of the 2018-01-29 API this endpoint serves, by name. Domain failures are thrown as
 * they are: the endpoint maps them to the wire (rpc-error-mapping.ts).
 */
export const ACTIONS: Readonly<Record<string, Action>> = {
  ResendEmailVerification: async (deps, context) => {
    const { SuccessList, FailList } = await sendToList(deps, context, 'resend');
    return { body: { RequestId: context.requestId, SuccessList, FailList }, listItemNames: SEND_RESULT_LISTS };
  },

  SubmitEmailVerification: async (deps, context) => {
    const sendIfExist = booleanParam(context.params, 'SendIfExist', false);
    const lists = await sendToList(deps, context, sendIfExist ? 'submit-or-resend' : 'submit');
    return { body: { RequestId: context.requestId, ...lists }, listItemNames: SEND_RESULT_LISTS };
  },

  VerifyEmail: async (deps, context) => {
    const token = context.params.Token;
    if (!token) throw missingParameter('Token');
    const claims = await deps.linkTokens.read(token, deps.clock());
    context.observation.logFields.email = maskEmail(claims.address);
    const confirmIp = clientIpParam(context.params)?.address;
    await verifyByLink(deps.verify, claims, { api: 'rpc', confirmIp }, context.budget);
    context.observation.metrics.count('Verifications', { method: 'link' });
    return { body: { RequestId: context.requestId } };
  },

  QueryEmailVerification: async (deps, context) => {
    const address = singleAddressParam(context.params);
    context.observation.logFields.email = maskEmail(address.address);
    const record = await deps.store.find(address.key, context.budget);
    if (!isLive(record, deps.clock())) throw new VerificationNotFoundError();
    return {
      body: {
        RequestId: context.requestId,
        Email: record.address,
        VerificationStatus: record.status === 'verified' ? 1 : 0,
        GmtCreate: aliyunTime(record.createdAt),
        GmtModified: aliyunTime(record.updatedAt),
        TokenSendTime: aliyunTime(Math.max(...record.sendLog)),
        SendIp: record.lastSendIp ?? '',
        ConfirmIp: record.confirmIp ?? '',
      },
    };
  },
};

async function sendToList(deps: ServiceDependencies, context: ActionContext, action: BatchRequest['action']) {
  const { params } = context;
  const rawEmails = params.Email;
  if (rawEmails === undefined || rawEmails.trim() === '') throw missingEmail();
  const lang = langParam(params);
  const clientIp = clientIpParam(params);
  const entries = parseEmailList(rawEmails, deps.config.rpc.maxEmails);
  // Only commas and blanks: no address was given at all.
  if (entries.length === 0) throw missingEmail();
  const { logFields, metrics } = context.observation;
  logFields.emails = entries.length;
  const outcomes = await sendBatch(
    { ...deps.send, counters: deps.counters },
    {
      budget: context.budget,
      entries,
      action,
      lang,
      ...(clientIp ? { clientIp: clientIp.address } : {}),
      submittedBy: context.accessKeyId,
      limits: requestLimits(
        { maxPerAccountPerDay: deps.config.rpc.maxVerificationsPerDay, maxPerClientIpPerHour: deps.config.rpc.maxPerClientIpPerHour },
        { accountId: context.accessKeyId, ...(clientIp ? { clientIpKey: clientIp.limitKey } : {}) },
        deps.clock(),
      ),
      concurrency: deps.config.rpc.batchConcurrency,
      linkFor: async (address: EmailAddress, now: number) =>
        verificationLink(context.publicBaseUrl, await deps.linkTokens.issue(address, now), lang),
    },
  );
  for (const outcome of outcomes) countSendOutcome(metrics, outcome.error);
  const sorted = sortSendResults(outcomes, lang);
  logFields.sent = sorted.SuccessList.length;
  logFields.failCodes = [...new Set(sorted.FailList.map((entry) => entry.Code))];
  context.observation.debug('batch outcomes', {
    outcomes: Object.values(sorted).flatMap((list) => list.map((entry) => `${maskEmail(entry.Email)} ${entry.Code}`)),
  });
  return sorted;
}

function langParam(params: Readonly<Record<string, string>>): Lang {
  const lang = parseLang(params.Lang);
  if (!lang) throw invalidParameter('Lang', 'Valid values are zh and en.');
  return lang;
}

/** The end user's IP, canonical; refused unless it is one IPv4 or IPv6 address (no zone id). */
function clientIpParam(params: Readonly<Record<string, string>>): ClientIp | undefined {
  const text = params.UserClientIp?.trim();
  if (!text) return undefined;
  const ip = parseClientIp(text);
  if (!ip) throw invalidParameter('UserClientIp', 'It must be an IPv4 or IPv6 address, without a zone id.');
  return ip;
}

function booleanParam(params: Readonly<Record<string, string>>, name: string, fallback: boolean): boolean {
  const value = params[name]?.toLowerCase();
  if (value === undefined || value === '') return fallback;
  if (value === 'true' || value === 'false') return value === 'true';
  throw invalidParameter(name, 'Valid values are true and false.');
}

function singleAddressParam(params: Readonly<Record<string, string>>): EmailAddress {
  const raw = params.Email;
  if (raw === undefined || raw.trim() === '') throw missingEmail();
  return normalizeEmailAddress(raw);
}

/** Aliyun's `2019-02-19 16:38:07`, in UTC. */
function aliyunTime(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 19).replace('T', ' ');
}
