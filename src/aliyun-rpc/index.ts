/** The Aliyun-style RPC protocol: request parsing, both signature schemes, errors and rendering. */
export * from './authenticate.js';
export * from './canonical-query.js';
export * from './form-urlencoded.js';
export * from './percent-encode.js';
export * from './rpc-errors.js';
export * from './rpc-request.js';
export * from './rpc-response.js';
export * from './rpc-timestamp.js';
export * from './signature-acs3.js';
export * from './signature-check.js';
export * from './signature-v1.js';
export * from './xml-text.js';
