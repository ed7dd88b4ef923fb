import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface StateProps {
  /** Prefix of the table names, e.g. `eventlake-dev`. */
  readonly namePrefix: string;
  /**
   * Customer managed key for both tables: the lake key, so one key policy and one audit trail cover
   * every copy of event data (CloudTrail shows each use; the AWS owned key would show none).
   */
  readonly key: IKey;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Refuse DeleteTable, even from CloudFormation.
   * @default true
   */
  readonly deletionProtection?: boolean;
}

/**
 * The state store on AWS: `user-state` (point-in-time account and subscription history per entity,
 * partition key `entity`) and `control` (lease, checkpoints and the processed-object ledger, keys
 * `pk`/`sk`). On-demand billing (traffic is bursty: a run every few minutes), point-in-time recovery,
 * customer managed KMS encryption. (`Table`, not `TableV2`: TableV2 cannot render a customer managed key
 * in a region-agnostic stack, and this stack is synthesized without an account or region.)
 */
export class State extends Construct {
  readonly userStateTable: Table;
  readonly controlTable: Table;

  constructor(scope: Construct, id: string, props: StateProps) {
    super(scope, id);
    const common = {
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.key,
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    };
    this.userStateTable = new Table(this, 'UserStateTable', {
      ...common,
      tableName: `${props.namePrefix}-user-state`,
      partitionKey: { name: 'entity', type: AttributeType.STRING },
    });
    this.controlTable = new Table(this, 'ControlTable', {
      ...common,
      tableName: `${props.namePrefix}-control`,
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
    });
  }
}
