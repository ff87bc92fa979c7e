import middy from '@middy/core';
import httpRouterHandler from '@middy/http-router';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { langFromAcceptLanguage } from '../../src/domain/lang.js';
import { DomainError, inStage } from '../../src/domain/errors.js';
import { resendVerificationCode } from '../../src/domain/send-verification-code.js';
import { verifyWithCode } from '../../src/domain/verify-address.js';
import { maskEmail } from '../../src/observability/mask-email.js';
import { logFieldsOf, requestLog, type LoggedContext } from '../../src/observability/request-log.js';
import type { ServiceDependencies } from '../../src/service-dependencies.js';
import { bearerToken, headerValue } from './bearer-token.js';
import { iamErrorResponse } from './iam-errors.js';
import { jsonResponse } from './json-response.js';
import { verificationCodeFromBody } from './verify-request.js';

export const RESEND_PATH = '/api/v1/users/email-verification-code';
export const VERIFY_PATH = '/api/v1/users/email-verification';

type Route = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** The IAM API: resend (seed 000) and verify, both authenticated by the verification token. */
export function createIamHandler(deps: ServiceDependencies) {
  /** Token -> new token -> resend: a token fault never costs quota or sends mail. */
  const resend: Route = async (event, context) => {
    const claims = await deps.sessionTokens.read(bearerToken(event), deps.clock());
    logFieldsOf(context).email = maskEmail(claims.address);
    const nextToken = await inStage('create-token', () => deps.sessionTokens.issue(claims, deps.clock()));
    await resendVerificationCode(deps.send, {
      address: claims,
      lang: langFromAcceptLanguage(headerValue(event, 'accept-language')),
      clientIp: event.requestContext.identity.sourceIp,
    });
    return jsonResponse(201, { emailVerificationToken: nextToken });
  };

  const verify: Route = async (event, context) => {
    const claims = await deps.sessionTokens.read(bearerToken(event), deps.clock());
    logFieldsOf(context).email = maskEmail(claims.address);
    await verifyWithCode(deps.verify, claims, verificationCodeFromBody(event));
    return jsonResponse(200, { email: claims.address, emailVerified: true });
  };

  const routes = httpRouterHandler<APIGatewayProxyEvent, APIGatewayProxyResult>({
    routes: [
      { method: 'POST', path: RESEND_PATH, handler: resend },
      { method: 'POST', path: VERIFY_PATH, handler: verify },
    ],
    notFoundResponse: () => jsonResponse(404, { group: 'request', code: 0, message: 'No such route.' }),
  });

  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, LoggedContext>()
    .use(requestLog('iam', deps.config.logLevel))
    .use({
      onError: (request) => {
        const error = request.error;
        logFieldsOf(request.context).outcome = error instanceof DomainError ? error.code : error?.name;
        request.response = iamErrorResponse(request.error, {
          exposeTraces: deps.config.exposeErrorTraces,
          requestId: request.event.requestContext?.requestId ?? request.context.awsRequestId,
        });
      },
    })
    .handler(routes);
}
