import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { PARTITION_KEY, STREAM_VIEW_TYPE, TTL_ATTRIBUTE } from '../../src/adapters/table-schema.js';

/**
 * The one table both functions share: verification records, nonces and limit counters, each
 * item with a TTL, and a stream of its changes (the EmailVerified events are read from it). The table is the construct's `Default` child, so its logical id is the one
 * of the first release and a deployed stack keeps its data.
 */
export class VerificationTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new Table(this, 'Default', {
      partitionKey: { name: PARTITION_KEY, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      // Both images, so the EmailVerified pipe can tell the change that verifies from any other.
      // Turning a stream on updates the table in place.
      stream: StreamViewType[STREAM_VIEW_TYPE],
      // Pending and verified records outlive any one deployment of the code.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
