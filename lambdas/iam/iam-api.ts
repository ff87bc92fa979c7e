import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { langFromAcceptLanguage } from '../../src/domain/lang.js';
import { DomainError, inStage } from '../../src/domain/errors.js';
import { resendVerificationCode } from '../../src/domain/send-verification-code.js';
import { verifyWithCode } from '../../src/domain/verify-address.js';
import { maskEmail } from '../../src/observability/mask-email.js';
import { createServiceMetrics } from '../../src/observability/metrics.js';
import { countedSend } from '../../src/observability/outcome-metrics.js';
import { logFieldsOf, metricsOf, observeRequests, type LoggedContext } from '../../src/observability/request-log.js';
import type { ServiceDependencies } from '../../src/service-dependencies.js';
import { corsHeaders, parseAllowedOrigins } from '../http/cors.js';
import { headerValue } from '../http/headers.js';
import { jsonResponse } from '../http/json-response.js';
import { routeRequests, type ProxyRoute } from '../http/router.js';
import { bearerToken } from './bearer-token.js';
import { iamErrorResponse } from './iam-errors.js';
import { countIamRejection } from './iam-metrics.js';
import { verificationCodeFromBody } from './verify-request.js';

/** The IAM API: resend and verify, both authenticated by the email verification token. */
export function createIamHandler(deps: ServiceDependencies) {
  /** Token -> new token -> resend: a token fault never costs quota or sends mail. */
  const resend: ProxyRoute = async (event, context) => {
    const claims = await deps.sessionTokens.read(bearerToken(event), deps.clock());
    logFieldsOf(context).email = maskEmail(claims.address);
    const nextToken = await countedSend(metricsOf(context), async () => {
      const token = await inStage('create-token', () => deps.sessionTokens.issue(claims, deps.clock()));
      await resendVerificationCode(deps.send, {
        address: claims,
        lang: langFromAcceptLanguage(headerValue(event, 'accept-language')),
        clientIp: event.requestContext.identity.sourceIp,
      });
      return token;
    });
    return jsonResponse(201, { emailVerificationToken: nextToken });
  };

  const verify: ProxyRoute = async (event, context) => {
    const claims = await deps.sessionTokens.read(bearerToken(event), deps.clock());
    logFieldsOf(context).email = maskEmail(claims.address);
    await verifyWithCode(deps.verify, claims, verificationCodeFromBody(event), 'iam');
    metricsOf(context).count('Verifications', { method: 'code' });
    return jsonResponse(200, { email: claims.address, emailVerified: true });
  };

  const routes = routeRequests('iam', { resendCode: resend, verifyCode: verify }, async () =>
    jsonResponse(404, { group: 'request', code: 0, message: 'No such route.' }),
  );

  const observers = { logger: deps.logger.createChild({ persistentKeys: { api: 'iam' } }), metrics: createServiceMetrics('iam') };
  // CORS first in, so its `after` and `onError` run last, on the final answer (errors included).
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, LoggedContext>()
    .use(corsHeaders(parseAllowedOrigins(deps.config.corsAllowedOrigins)))
    .use(observeRequests(observers))
    .use({
      onError: (request) => {
        const error = request.error;
        logFieldsOf(request.context).outcome = error instanceof DomainError ? error.code : error?.name;
        request.response = iamErrorResponse(request.error, {
          exposeTraces: deps.config.exposeErrorTraces,
          requestId: request.event.requestContext?.requestId ?? request.context.awsRequestId,
        });
        countIamRejection(metricsOf(request.context), request.response);
      },
    })
    .handler(routes);
}
