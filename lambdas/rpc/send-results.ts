import type { Lang } from '../../src/domain/lang.js';
import type { BatchOutcome } from '../../src/domain/send-batch.js';
import { sendResultOf, type SendResultCode, type SendResultList } from './rpc-error-mapping.js';

/** One entry of SuccessList / FailList / ExistList, as Aliyun's SDK models name it. */
export type SendResult = {
  readonly Email: string;
  readonly Code: string;
  readonly Message: string;
  /** On quota refusals only: whole seconds until this address may be mailed again. */
  readonly RetryAfter?: number;
};

type Wording = Record<Lang, string>;

/** What each per-address code says, in both languages. */
export const SEND_RESULT_MESSAGES: Readonly<Record<SendResultCode, Wording>> = {
  Success: { en: 'Success', zh: '成功' },
  SendTokenQuotaExceeded: {
    en: 'The maximum number of attempts allowed to send the email verification link is exceeded.',
    zh: '发送邮箱验证链接的次数超过上限。',
  },
  ParameterIllegall: { en: 'Parameter error', zh: '参数错误' },
  EmailNotSubmitted: {
    en: 'The email address has not been submitted for verification.',
    zh: '该邮箱尚未提交验证。',
  },
  EmailAlreadyVerified: { en: 'The email address has already been verified.', zh: '该邮箱已通过验证。' },
  EmailVerificationExists: {
    en: 'A verification email was already sent to this address.',
    zh: '该邮箱的验证邮件已经发送。',
  },
  SendEmailFailed: {
    en: 'The verification email could not be sent. Try again later.',
    zh: '验证邮件发送失败，请稍后重试。',
  },
  DailyLimitExceeded: {
    en: 'The daily limit of verification emails for this account is reached.',
    zh: '该账号当日发送验证邮件的数量已达上限。',
  },
  ClientIpLimitExceeded: {
    en: 'Too many verification emails were requested from this client IP.',
    zh: '该客户端 IP 请求发送验证邮件过于频繁。',
  },
  InternalError: { en: 'An internal error occurred. Try again later.', zh: '内部错误，请稍后重试。' },
};

export type SortedResults = Readonly<Record<SendResultList, SendResult[]>>;

/**
 * Longest entry echoed back as given. Every valid address is shorter (254 at most), so a client
 * always finds its addresses as it sent them; longer entries are invalid and shown cut, so that
 * an answer stays within RPC_MAX_EMAILS entries of bounded size.
 */
export const MAX_ECHOED_ENTRY = 320;

function echoed(given: string): string {
  return given.length <= MAX_ECHOED_ENTRY ? given : `${given.slice(0, MAX_ECHOED_ENTRY)}...`;
}

/** Sorts a batch's outcomes into their lists, each entry with its code and message. */
export function sortSendResults(outcomes: readonly BatchOutcome[], lang: Lang): SortedResults {
  const sorted: SortedResults = { SuccessList: [], FailList: [], ExistList: [] };
  for (const outcome of outcomes) {
    const { list, code, retryAfterSeconds } = sendResultOf(outcome.error);
    sorted[list].push({
      Email: echoed(outcome.given),
      Code: code,
      Message: SEND_RESULT_MESSAGES[code][lang],
      ...(retryAfterSeconds !== undefined ? { RetryAfter: retryAfterSeconds } : {}),
    });
  }
  return sorted;
}
