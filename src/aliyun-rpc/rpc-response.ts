import { invalidParameter, type RpcRequestError } from './rpc-errors.js';
import { peekFormatHints, type RpcProxyEvent, type RpcRequest } from './rpc-request.js';
import { assertXmlName, escapeXmlText } from './xml-text.js';

export type ResponseFormat = 'JSON' | 'XML';

/** Shaped like API Gateway's proxy result, without depending on its types. */
export interface RpcHttpResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export type RpcValue = string | number | boolean | null | undefined | RpcBody | readonly RpcValue[];
export interface RpcBody {
  readonly [key: string]: RpcValue;
}

export interface RenderOptions {
  /**
   * XML element wrapping each item of a list, by the list's property name, e.g.
   * `{ SuccessList: 'SendResult' }`. A list not named here repeats its own element per item,
   * the layout older Aliyun XML samples show.
   */
  readonly listItemNames?: Readonly<Record<string, string>>;
  readonly statusCode?: number;
}

/**
 * Exactly these strings: the Tea clients only parse an error body as XML when the
 * Content-Type is byte for byte `text/xml;charset=utf-8`.
 */
export const JSON_CONTENT_TYPE = 'application/json;charset=utf-8';
export const XML_CONTENT_TYPE = 'text/xml;charset=utf-8';

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

/** Reads the `Format` parameter: `JSON` or `XML` in any case, XML when absent. */
export function parseResponseFormat(value: string | undefined): ResponseFormat {
  if (value === undefined || value === '') return 'XML';
  const upper = value.toUpperCase();
  if (upper === 'JSON' || upper === 'XML') return upper;
  throw invalidParameter('Format', 'Valid values are JSON and XML.');
}

/**
 * The format to answer a parsed request in. An explicit `Format` wins. Without one, a v1 request
 * gets Aliyun's default, XML, but an ACS3 request gets JSON: the Tea clients send no `Format`,
 * ask for `Accept: application/json` and cannot read an XML success body. A `Format` that is
 * neither throws InvalidParameter.
 */
export function responseFormatFor(request: Pick<RpcRequest, 'params' | 'authScheme'>): ResponseFormat {
  return formatFor(request.params.Format, request.authScheme === 'acs3');
}

/**
 * The format of every answer to `event`, errors included, by the same rule as
 * `responseFormatFor` whether or not the request parses: `Format` is read leniently from the
 * query or the form body. Never throws: where `Format` is the very thing that is wrong, XML,
 * which every Aliyun client reads as an error (pop-core's RPC client as a parse failure, the Tea
 * clients and pop-core's ROA client as the coded error).
 */
export function answerFormatOf(event: RpcProxyEvent, peekBytes?: number): ResponseFormat {
  const { format, acs3 } = peekFormatHints(event, peekBytes);
  try {
    return formatFor(format, acs3);
  } catch {
    return 'XML';
  }
}

function formatFor(format: string | undefined, acs3: boolean): ResponseFormat {
  if ((format === undefined || format === '') && acs3) return 'JSON';
  return parseResponseFormat(format);
}

/**
 * A success answer: JSON as given, or XML under `<rootName>`, e.g.
 * `ResendEmailVerificationResponse`. A top-level `Code` is refused because pop-core treats any
 * body carrying one as an error.
 */
export function renderRpcBody(
  rootName: string,
  body: RpcBody,
  format: ResponseFormat,
  options: RenderOptions = {},
): RpcHttpResponse {
  if (Object.hasOwn(body, 'Code')) {
    throw new TypeError('A success body must not have a top-level Code: Aliyun clients would read it as an error.');
  }
  return render(rootName, body, format, options.statusCode ?? 200, options.listItemNames ?? {});
}

export interface ErrorContext {
  readonly requestId: string;
  /** The host the client called, as Aliyun reports it. */
  readonly hostId: string;
  readonly format: ResponseFormat;
}

/**
 * The most any error answer takes: its fields are cut to lengths whose escaped forms (JSON's
 * `\u00XX`, XML's `&amp;`) stay under it, whatever a request sent.
 */
export const MAX_ERROR_BODY_BYTES = 4_096;
const MAX_FIELD = { RequestId: 64, HostId: 128, Message: 1_600, Recommend: 256 } as const;

/** `{RequestId, HostId, Code, Message, Recommend}` with the error's HTTP status. */
export function renderRpcError(error: RpcRequestError, context: ErrorContext): RpcHttpResponse {
  // Every field is always present: pop-core's XML reader indexes all four of
  // RequestId, HostId, Code and Message and crashes on a missing one.
  const body: RpcBody = {
    RequestId: plain(context.requestId, MAX_FIELD.RequestId),
    HostId: plain(context.hostId, MAX_FIELD.HostId),
    Code: error.code,
    // Messages show client text only through `shown` and a capped string to sign; this cut is
    // the backstop.
    Message: error.message.slice(0, MAX_FIELD.Message),
    Recommend: plain(error.recommend ?? '', MAX_FIELD.Recommend),
  };
  return render('Error', body, context.format, error.httpStatus, {});
}

/**
 * Text from a request (the Host header) cut to `max` characters, with what JSON or XML would
 * escape many times over (controls, markup) replaced, so that its escaped form stays small.
 */
function plain(text: string, max: number): string {
  return text.slice(0, max).replace(/[\u0000-\u001f\u007f<>&"'\\]/g, '?');
}

function render(
  rootName: string,
  body: RpcBody,
  format: ResponseFormat,
  statusCode: number,
  listItemNames: Readonly<Record<string, string>>,
): RpcHttpResponse {
  if (format === 'JSON') {
    return { statusCode, headers: { 'Content-Type': JSON_CONTENT_TYPE }, body: JSON.stringify(body) };
  }
  assertXmlName(rootName);
  return {
    statusCode,
    headers: { 'Content-Type': XML_CONTENT_TYPE },
    body: `${XML_DECLARATION}${element(rootName, body, listItemNames)}`,
  };
}

function element(name: string, value: RpcValue, listItemNames: Readonly<Record<string, string>>): string {
  assertXmlName(name);
  if (value === undefined) return '';
  if (value === null) return `<${name}/>`;
  if (Array.isArray(value)) {
    const itemName = listItemNames[name];
    if (itemName === undefined) return value.map((item) => listItem(name, item, listItemNames)).join('');
    const items = value.map((item) => listItem(itemName, item, listItemNames)).join('');
    return items === '' ? `<${name}/>` : `<${name}>${items}</${name}>`;
  }
  if (typeof value === 'object') {
    const children = Object.entries(value as RpcBody)
      .map(([childName, child]) => element(childName, child, listItemNames))
      .join('');
    return `<${name}>${children}</${name}>`;
  }
  return `<${name}>${escapeXmlText(String(value))}</${name}>`;
}

function listItem(name: string, item: RpcValue, listItemNames: Readonly<Record<string, string>>): string {
  if (Array.isArray(item)) throw new TypeError(`"${name}" holds a list of lists, which has no XML layout here.`);
  return element(name, item, listItemNames);
}
