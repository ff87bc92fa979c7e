/**
 * Every route of the API, declared once. The stack builds API Gateway's resources and methods
 * from it, each function's router dispatches on it, the local bridge serves it, and the banner,
 * the mailed link, `events/` and the tests take their paths from it. Adding a route here without
 * a handler for it in its function's router is a compile error.
 */

/** The two APIs, one Lambda function each. */
export type ApiName = 'iam' | 'rpc';

export interface RouteDeclaration {
  readonly method: 'GET' | 'POST';
  /** The API Gateway resource path: what a function routes on, whatever stage or base path is in front. */
  readonly path: string;
  readonly api: ApiName;
  /** API Gateway's operation name; for the IAM routes also the OpenAPI `operationId`. */
  readonly operationName: string;
  /**
   * What authenticates a request, checked by the handler: the email verification JWT in
   * `Authorization` (required at the edge too), the Aliyun request signature, or the signed
   * token of a mailed link.
   */
  readonly auth: 'bearer-token' | 'rpc-signature' | 'link-token';
  /** Sends mail: API Gateway gives it a tighter throttle than the stage. */
  readonly sendsMail?: boolean;
  /** Called by browser pages of other origins: CORS_ALLOWED_ORIGINS applies (preflight, headers). */
  readonly cors?: boolean;
}

const USERS = '/api/v1/users';
const VERIFICATION_PAGE = '/email-verification';

// One line per route, so the table reads as one.
export const ROUTES = {
  resendCode: { method: 'POST', path: `${USERS}/email-verification-code`, api: 'iam', auth: 'bearer-token', operationName: 'resendEmailCodeRequest', sendsMail: true, cors: true },
  verifyCode: { method: 'POST', path: `${USERS}/email-verification`, api: 'iam', auth: 'bearer-token', operationName: 'verifyEmailCodeRequest', cors: true },
  rpcGet: { method: 'GET', path: '/', api: 'rpc', auth: 'rpc-signature', operationName: 'rpcGet' },
  rpcPost: { method: 'POST', path: '/', api: 'rpc', auth: 'rpc-signature', operationName: 'rpcPost' },
  showVerificationPage: { method: 'GET', path: VERIFICATION_PAGE, api: 'rpc', auth: 'link-token', operationName: 'verificationPage' },
  confirmVerificationPage: { method: 'POST', path: VERIFICATION_PAGE, api: 'rpc', auth: 'link-token', operationName: 'verificationPageConfirm' },
} as const satisfies Record<string, RouteDeclaration>;

export type RouteName = keyof typeof ROUTES;

/** The names of the routes one API's function serves. */
export type RouteNameOf<A extends ApiName> = {
  [K in RouteName]: (typeof ROUTES)[K]['api'] extends A ? K : never;
}[RouteName];

export interface FunctionDeclaration {
  /**
   * CloudFormation logical id, fixed so that `sam local invoke <id>` and the docs can name it.
   * The IAM function keeps the id of its first release (`ResendCodeFunction`), so a deployed
   * stack updates it in place rather than replacing it.
   */
  readonly logicalId: string;
  /** Name in the local bridge's Lambda context. */
  readonly name: string;
  /** Handler module, from the repository root; exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly timeoutSeconds: number;
}

/** API Gateway's integration timeout for a REST API (the default, and the most without a quota raise). */
export const INTEGRATION_TIMEOUT_SECONDS = 29;

/**
 * How long Lambda lets a cold start's init run before it gives up and runs init again inside the
 * invocation, where it counts against the function's timeout. The worst cold request therefore
 * takes this plus the timeout, and both functions keep that under INTEGRATION_TIMEOUT_SECONDS
 * with a second to spare, so API Gateway never answers 504 while the function is still working
 * (a function timeout is logged; a 504 from the gateway is not). Init itself reads three secrets
 * and builds clients: about a second when Secrets Manager answers, bounded by the SDK's own
 * timeouts when it does not.
 */
export const LAMBDA_INIT_LIMIT_SECONDS = 10;

export const FUNCTIONS: Readonly<Record<ApiName, FunctionDeclaration>> = {
  iam: {
    logicalId: 'ResendCodeFunction',
    name: 'iam',
    entry: 'lambdas/iam/index.ts',
    description: 'IAM API: resend and verify the email verification code (JWT)',
    // One address: a few DynamoDB calls and one SES call, each well under a second.
    timeoutSeconds: 10,
  },
  rpc: {
    logicalId: 'RpcFunction',
    name: 'rpc',
    entry: 'lambdas/rpc/index.ts',
    description: 'Aliyun-style RPC API and the mailed verification page',
    // A batch of RPC_MAX_EMAILS addresses goes out RPC_BATCH_CONCURRENCY at a time, so it takes
    // a few rounds of SES calls. The ceiling is API Gateway's: see LAMBDA_INIT_LIMIT_SECONDS.
    timeoutSeconds: 18,
  },
};

/** The routes of one API, as `[name, declaration]` pairs. */
export function routesOf<A extends ApiName>(api: A): Array<[RouteNameOf<A>, RouteDeclaration]> {
  return (Object.entries(ROUTES) as Array<[RouteName, RouteDeclaration]>).filter(
    (entry): entry is [RouteNameOf<A>, RouteDeclaration] => entry[1].api === api,
  );
}
