import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { PARTITION_KEY, TTL_ATTRIBUTE } from '../../src/adapters/table-schema.js';

/**
 * The one table both functions share: verification records, nonces and limit counters, each
 * item with a TTL. The table is the construct's `Default` child, so its logical id is the one
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
      // Pending and verified records outlive any one deployment of the code.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
