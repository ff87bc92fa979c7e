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
}

const USERS = '/api/v1/users';
const VERIFICATION_PAGE = '/email-verification';

// One line per route, so the table reads as one.
export const ROUTES = {
  resendCode: { method: 'POST', path: `${USERS}/email-verification-code`, api: 'iam', auth: 'bearer-token', operationName: 'resendEmailCodeRequest', sendsMail: true },
  verifyCode: { method: 'POST', path: `${USERS}/email-verification`, api: 'iam', auth: 'bearer-token', operationName: 'verifyEmailCodeRequest' },
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

export const FUNCTIONS: Readonly<Record<ApiName, FunctionDeclaration>> = {
  iam: {
    logicalId: 'ResendCodeFunction',
    name: 'iam',
    entry: 'lambdas/iam/index.ts',
    description: 'IAM API: resend and verify the email verification code (JWT)',
    timeoutSeconds: 10,
  },
  rpc: {
    logicalId: 'RpcFunction',
    name: 'rpc',
    entry: 'lambdas/rpc/index.ts',
    description: 'Aliyun-style RPC API and the mailed verification page',
    // A batch is sent with bounded concurrency; 25 s leaves time to answer and log before API
    // Gateway's 29 s integration timeout.
    timeoutSeconds: 25,
  },
};

/** The routes of one API, as `[name, declaration]` pairs. */
export function routesOf<A extends ApiName>(api: A): Array<[RouteNameOf<A>, RouteDeclaration]> {
  return (Object.entries(ROUTES) as Array<[RouteName, RouteDeclaration]>).filter(
    (entry): entry is [RouteNameOf<A>, RouteDeclaration] => entry[1].api === api,
  );
}
