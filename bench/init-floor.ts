/**
 * The least a function of this service does at cold start, for the bench's floor figure: read one
 * key secret from Secrets Manager (one signed HTTPS request, with the reader the functions use),
 * then export a handler. Built like the functions; nothing else of the service is in it.
 */
import { secretsManagerReader } from '../src/adapters/secrets-manager-reader.js';

const arn = process.env.TOKEN_SIGNING_SECRET_ARN;
if (!arn) throw new Error('TOKEN_SIGNING_SECRET_ARN is not set');
await secretsManagerReader({ env: process.env })(arn);

export const handler = async () => ({ statusCode: 200, body: 'hello' });
