import { Duration, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RequestValidator,
  ResponseType,
  RestApi,
  type GatewayResponseOptions,
  type MethodOptions,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { CORS_ALLOW_HEADERS, CORS_MAX_AGE_SECONDS, gatewayResponseOrigin } from '../../lambdas/http/cors.js';
import { NO_ROUTE_BODY, NO_ROUTE_STATUS } from '../../lambdas/http/no-route.js';
import { INVALID_TOKEN_BODY } from '../../lambdas/iam/iam-errors.js';
import { ROUTES, type ApiName, type RouteDeclaration } from '../../lambdas/routes.js';

export const API_STAGE = 'prod';

export interface ServiceApiProps {
  /** The function serving each API's routes. */
  readonly functions: Readonly<Record<ApiName, IFunction>>;
  /** Stage-wide throttling (steady requests per second and burst). */
  readonly throttling: { readonly rateLimit: number; readonly burstLimit: number };
  /** A regional WAFv2 web ACL to put in front of the stage. */
  readonly webAclArn?: string;
  /**
   * CORS_ALLOWED_ORIGINS, parsed (lambdas/http/cors.ts): the routes declared `cors` get a
   * preflight answer and every gateway response carries CORS headers. Empty: no CORS.
   */
  readonly corsAllowedOrigins?: readonly string[];
}

/** Why each kind of route has no API Gateway authorizer: the handler authenticates it. */
const AUTHORIZER_NOT_APPLICABLE: Record<RouteDeclaration['auth'], string> = {
  'bearer-token':
    'Authenticated by the service itself: the bearer token is the HS256 email verification JWT ' +
    'the service issued (the IAM API contract), verified by the handler; an IAM or Cognito ' +
    'authorizer cannot check it and would break the documented 401 codes 406/407.',
  'rpc-signature':
    'Authenticated by the Aliyun RPC signature (HMAC-SHA1 over the request parameters with an ' +
    'access key from Secrets Manager, timestamp window and single-use nonce), verified by the ' +
    'handler; unmodified Aliyun clients cannot send IAM SigV4 or Cognito tokens.',
  'link-token':
    'The mailed verification link is opened by a person in a browser: the single-use signed ' +
    'token in the link is the credential, verified by the handler. There is no user to sign in.',
};

/**
 * The REST API: every declared route (lambdas/routes.ts) as a Lambda proxy integration of its
 * API's function, on one throttled, logged stage. The RestApi is the construct's `Default`
 * child, so its logical id, and with it the API's URL, is the one of the first release.
 */
export class ServiceApi extends Construct {
  readonly api: RestApi;
  private readonly corsAllowedOrigins: readonly string[];

  constructor(scope: Construct, id: string, props: ServiceApiProps) {
    super(scope, id);
    this.corsAllowedOrigins = props.corsAllowedOrigins ?? [];
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH });
    this.api = new RestApi(this, 'Default', {
      // The name of the first release (by default it would be the child's id, `Default`): the
      // console, the ApiName dimension of the stage's metrics, the alarms and the dashboard show it.
      restApiName: id,
      description: 'Email verification: IAM-style JWT routes and Aliyun-style RPC routes',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      // Execution logging needs the account-level API Gateway CloudWatch role; this creates it.
      // Note: AWS::ApiGateway::Account is one per account and region.
      cloudWatchRole: true,
      deployOptions: {
        stageName: API_STAGE,
        throttlingRateLimit: props.throttling.rateLimit,
        throttlingBurstLimit: props.throttling.burstLimit,
        // The mail-sending routes get a tighter share than the stage (cheap reads stay open).
        methodOptions: mailRouteThrottling(props.throttling),
        // Access log fields are all metadata: no bodies, no query strings, no Authorization header.
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields({
          caller: true,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
        // Execution logs for errors only, and never data trace: data trace would log request
        // bodies and headers, that is bearer tokens, signed RPC parameters and codes.
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        // X-Ray from the stage on, joined to the functions' traces.
        tracingEnabled: true,
      },
    });
    this.addRoutes(props.functions);
    this.addCors();
    this.answerUnknownRoutes();
    this.protectStage(props.webAclArn);
    this.acknowledgeCloudWatchRole();
    // RestApi adds an `Endpoint…` output of its own; the stack has one stably named URL output.
    this.api.node.tryRemoveChild('Endpoint');
  }

  private addRoutes(functions: ServiceApiProps['functions']): void {
    // The bearer token is required at the edge too. A request without it gets the service's own
    // 401 (group user, code 406) instead of API Gateway's 400, the same answer as the handler's.
    const validator = new RequestValidator(this, 'RequestValidator', {
      restApi: this.api,
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    this.addGatewayResponse('MissingAuthorization', {
      type: ResponseType.BAD_REQUEST_PARAMETERS,
      statusCode: '401',
      responseHeaders: {
        'Content-Type': "'application/json'",
        'Cache-Control': "'no-store'",
        'WWW-Authenticate': "'Bearer'",
      },
      templates: { 'application/json': JSON.stringify(INVALID_TOKEN_BODY) },
    });
    const integrations = new Map<ApiName, LambdaIntegration>();
    const integrationOf = (api: ApiName) => {
      if (!integrations.has(api)) integrations.set(api, new LambdaIntegration(functions[api], { allowTestInvoke: false }));
      return integrations.get(api)!;
    };
    for (const route of Object.values(ROUTES) as RouteDeclaration[]) {
      const options: MethodOptions =
        route.auth === 'bearer-token'
          ? { requestValidator: validator, requestParameters: { 'method.request.header.Authorization': true } }
          : {};
      const method = this.api.root
        .resourceForPath(route.path)
        .addMethod(route.method, integrationOf(route.api), { operationName: route.operationName, ...options });
      const reason = AUTHORIZER_NOT_APPLICABLE[route.auth];
      Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason }, { id: 'AwsSolutions-COG4', reason });
    }
  }

  /**
   * A gateway response (an answer API Gateway writes itself), with the CORS headers when CORS is
   * on: a page must be able to read a 401, 403 or 429 from the gateway as well as the function's.
   * Every gateway response of this API goes through here.
   */
  addGatewayResponse(id: string, options: GatewayResponseOptions): void {
    this.api.addGatewayResponse(id, { ...options, responseHeaders: { ...this.gatewayCorsHeaders(), ...options.responseHeaders } });
  }

  private gatewayCorsHeaders(): Record<string, string> {
    const origin = gatewayResponseOrigin(this.corsAllowedOrigins);
    if (origin === undefined) return {};
    if ('echo' in origin) return { 'Access-Control-Allow-Origin': `method.request.header.${origin.echo}`, Vary: "'Origin'" };
    return { 'Access-Control-Allow-Origin': `'${origin.fixed}'`, ...(origin.fixed === '*' ? {} : { Vary: "'Origin'" }) };
  }

  /**
   * CORS for the routes declared `cors` (the IAM routes), when origins are allowed: an OPTIONS
   * method per resource answered by API Gateway itself (a mock integration, no Lambda call), and
   * CORS headers on API Gateway's default 4XX and 5XX answers. The function adds them to its own
   * answers (lambdas/http/cors.ts), with Retry-After exposed.
   */
  private addCors(): void {
    if (this.corsAllowedOrigins.length === 0) return;
    const methodsByPath = new Map<string, string[]>();
    for (const route of Object.values(ROUTES) as RouteDeclaration[]) {
      if (route.cors) methodsByPath.set(route.path, [...(methodsByPath.get(route.path) ?? []), route.method]);
    }
    for (const [path, methods] of methodsByPath) {
      const preflight = this.api.root.resourceForPath(path).addCorsPreflight({
        allowOrigins: [...this.corsAllowedOrigins],
        allowMethods: ['OPTIONS', ...methods],
        allowHeaders: [...CORS_ALLOW_HEADERS],
        maxAge: Duration.seconds(CORS_MAX_AGE_SECONDS),
        statusCode: 204,
      });
      const reason =
        'CORS preflight, answered by API Gateway itself (mock integration, no Lambda): browsers send ' +
        'OPTIONS without credentials by design, so it cannot be authorised; it returns only the CORS ' +
        'policy (allowed origins, methods and headers), the same for every caller.';
      Validations.of(preflight).acknowledge({ id: 'AwsSolutions-APIG4', reason }, { id: 'AwsSolutions-COG4', reason });
    }
    this.addGatewayResponse('Default4xx', { type: ResponseType.DEFAULT_4XX });
    this.addGatewayResponse('Default5xx', { type: ResponseType.DEFAULT_5XX });
  }

  /**
   * A method or path the API does not have gets a JSON 404 listing the routes, not API Gateway's
   * 403 "Missing Authentication Token" (the routes have no API Gateway authorizer, so that
   * response means only "no such route").
   */
  private answerUnknownRoutes(): void {
    this.addGatewayResponse('NoSuchRoute', {
      type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
      statusCode: String(NO_ROUTE_STATUS),
      responseHeaders: { 'Content-Type': "'application/json'", 'Cache-Control': "'no-store'" },
      templates: { 'application/json': JSON.stringify(NO_ROUTE_BODY) },
    });
  }

  private protectStage(webAclArn: string | undefined): void {
    if (webAclArn) {
      new CfnWebACLAssociation(this, 'WebAcl', { resourceArn: this.api.deploymentStage.stageArn, webAclArn });
      return;
    }
    Validations.of(this.api.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'WAF is optional (stack prop / context webAclArn associates a regional web ACL). Without ' +
        'it, abuse is bounded by stage and method throttling, the per-address quota, the per-key ' +
        'daily limit and per-IP limits enforced in DynamoDB.',
    });
  }

  /** API Gateway's account-level logging role uses the AWS-managed push-to-CloudWatch policy. */
  private acknowledgeCloudWatchRole(): void {
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (!cloudWatchRole) return;
    Validations.of(cloudWatchRole).acknowledge({
      // cdk-nag 3 names one finding as RuleId[finding]: only this managed policy is accepted.
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'AmazonAPIGatewayPushToCloudWatchLogs is the AWS-documented policy for the API Gateway ' +
        'service role that writes execution and access logs; it is assumed only by ' +
        'apigateway.amazonaws.com and the log groups it creates are not known in advance.',
    });
  }
}

/** Half the stage's rate and burst for every route that sends mail. */
function mailRouteThrottling(throttling: ServiceApiProps['throttling']) {
  const options: Record<string, { throttlingRateLimit: number; throttlingBurstLimit: number }> = {};
  for (const route of Object.values(ROUTES) as RouteDeclaration[]) {
    if (!route.sendsMail) continue;
    options[`${route.path}/${route.method}`] = {
      throttlingRateLimit: Math.max(1, Math.floor(throttling.rateLimit / 2)),
      throttlingBurstLimit: Math.max(1, Math.floor(throttling.burstLimit / 2)),
    };
  }
  return options;
}
