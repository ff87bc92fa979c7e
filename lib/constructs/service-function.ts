import { Duration, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, CfnFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import type { ApiName, FunctionDeclaration } from '../../lambdas/routes.js';
import { lambdaBundling } from '../bundling/lambda-bundle.js';

/**
 * Reserved concurrency by default: each function keeps its share when others in the account
 * burst, and a burst of its own can neither drain the account's pool (1,000 by default) nor
 * pile up far more SES calls than the sending rate allows. IAM: the stage allows 50 requests/s
 * and a request takes a fraction of a second, so 20 at once carry the stage's full rate with
 * room for slow moments. RPC: a batch keeps up to RPC_BATCH_CONCURRENCY (20) mails in flight, so
 * 5 batches at once already put 100 SES calls in flight, past a new account's sending rate; raise
 * it together with the SES quota. `none` (context) leaves a function unreserved, for accounts
 * whose concurrency limit is too low to reserve any (Lambda keeps 100 unreserved).
 */
export const DEFAULT_RESERVED_CONCURRENCY: Readonly<Record<ApiName, number>> = { iam: 20, rpc: 5 };

export interface ServiceFunctionProps {
  readonly declaration: FunctionDeclaration;
  readonly environment: Readonly<Record<string, string>>;
  /** The secrets it reads at cold start (GetSecretValue only). */
  readonly secrets: readonly ISecret[];
  /** Everything else it may do. */
  readonly statements: readonly PolicyStatement[];
  /** Reserved concurrency; undefined leaves the function unreserved. */
  readonly reservedConcurrency?: number;
  /** Folders copied into the bundle, by their path inside it (e.g. the operator's mail templates). */
  readonly bundledFolders?: Readonly<Record<string, string>>;
}

/**
 * One of the two Lambda functions: bundled ESM on nodejs24.x arm64, with its own role and log
 * group, active X-Ray tracing and its reserved concurrency. Least privilege: no
 * AWSLambdaBasicExecutionRole (it allows logs:CreateLogGroup and writing to any log group); the
 * role may write only to its own, pre-created log group.
 */
export class ServiceFunction extends Construct {
  readonly fn: NodejsFunction;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    const { declaration } = props;
    const logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH });
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${declaration.logicalId}`,
    });
    logGroup.grantWrite(role);
    const entry = fileURLToPath(new URL(`../../${declaration.entry}`, import.meta.url));
    this.fn = new NodejsFunction(this, 'Default', {
      entry,
      handler: 'handler',
      description: declaration.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      // 512 MB for the CPU, not the memory: Lambda allocates CPU in proportion to memory, and
      // the cold start and the HMAC/JWT work are CPU-bound, so they finish about 4x faster than
      // at 128 MB, which keeps the cost per request close to the same.
      memorySize: 512,
      timeout: Duration.seconds(declaration.timeoutSeconds),
      role,
      logGroup,
      // Lambda's own segments (init, invocation), joined to the API stage's: where a slow request
      // spent its time, with no tracing library in the bundle.
      tracing: Tracing.ACTIVE,
      ...(props.reservedConcurrency !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
      environment: { ...props.environment },
      // Minified ESM with the AWS SDK bundled and trimmed (lib/bundling/), and the folders to ship with it.
      bundling: lambdaBundling(entry, props.bundledFolders ?? {}),
    });
    // Fixed logical id, so `sam local invoke <id>` and the docs can name the function.
    (this.fn.node.defaultChild as CfnFunction).overrideLogicalId(declaration.logicalId);
    for (const statement of props.statements) this.fn.addToRolePolicy(statement);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the X-Ray statement that active tracing adds (xray:PutTraceSegments, ' +
        'xray:PutTelemetryRecords): X-Ray supports no resource-level permissions for them, so AWS ' +
        'documents Resource "*". Every other statement names its resources.',
    });
    // GetSecretValue only: secret.grantRead would add DescribeSecret, which is not needed.
    this.fn.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['secretsmanager:GetSecretValue'],
        resources: props.secrets.map((secret) => secret.secretArn),
      }),
    );
  }
}
