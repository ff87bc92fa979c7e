/**
 * The EmailVerified events locally: what the stack's pipe does, done by `npm start` against
 * DynamoDB Local's stream. Each record goes through the pipe's own filter pattern and input
 * template (src/adapters/email-verified-event.ts, the values the stack synthesizes), evaluated
 * with EventBridge's semantics (event-pattern.ts), and becomes an event shaped as EventBridge
 * hands it to a rule's target. Local only: the functions never import this.
 */
import { randomUUID } from 'node:crypto';
import {
  EMAIL_VERIFIED_DETAIL_TYPE,
  EMAIL_VERIFIED_FILTER_PATTERN,
  EMAIL_VERIFIED_INPUT_TEMPLATE,
  checkEventSource,
  type EmailVerifiedDetail,
} from '../src/adapters/email-verified-event.js';
import { FALLBACK_REGION } from '../src/settings.js';
import { matchesEventPattern, renderInputTemplate } from './event-pattern.js';
import { startTableStreamReader, type TableStreamReader, type TableStreamReaderOptions } from './table-stream.js';

/** An EmailVerified event as a rule's target receives it from EventBridge. */
export interface EmailVerifiedEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': typeof EMAIL_VERIFIED_DETAIL_TYPE;
  readonly source: string;
  readonly account: string;
  /** ISO 8601 to the second, as EventBridge writes it. */
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: EmailVerifiedDetail;
}

/** The account DynamoDB Local puts in its ARNs. */
const LOCAL_ACCOUNT = '000000000000';

/**
 * The pipe's work on one source record, with the very values the construct synthesizes: undefined
 * when the filter drops it, else the event's detail.
 */
function pipeDetail(sourceRecord: unknown): EmailVerifiedDetail | undefined {
  if (!matchesEventPattern(EMAIL_VERIFIED_FILTER_PATTERN, sourceRecord)) return undefined;
  return JSON.parse(renderInputTemplate(EMAIL_VERIFIED_INPUT_TEMPLATE, sourceRecord)) as EmailVerifiedDetail;
}

export interface VerifiedEventsReaderOptions extends Omit<TableStreamReaderOptions, 'onRecord'> {
  /** The events' `source`. */
  readonly source: string;
  /** Each event, in stream order. */
  readonly onEvent: (event: EmailVerifiedEvent) => void;
}

/** Reads the table's stream and hands over an EmailVerified event for each address verified. */
export async function startVerifiedEventsReader(options: VerifiedEventsReaderOptions): Promise<TableStreamReader> {
  const source = checkEventSource(options.source);
  const region = options.region ?? (process.env.AWS_REGION || FALLBACK_REGION);
  return startTableStreamReader({
    ...options,
    region,
    onRecord: (record) => {
      const detail = pipeDetail(record);
      if (detail === undefined) return;
      options.onEvent({
        version: '0',
        id: randomUUID(),
        'detail-type': EMAIL_VERIFIED_DETAIL_TYPE,
        source,
        account: LOCAL_ACCOUNT,
        time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region,
        resources: [],
        detail,
      });
    },
  });
}
