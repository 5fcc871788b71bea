import { Aws, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stages.js';
import { acknowledge } from './nag.js';

/** Name of the vault that receives cross-region copies (created by BackupCopyVaultStack). */
export const copyVaultName = (prefix: string) => `${prefix}-backup-copy`;

export interface BackupProps {
  readonly config: StageConfig['backup'];
  readonly prefix: string;
  readonly cluster: rds.DatabaseCluster;
  readonly key: kms.IKey;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Daily AWS Backup recovery points of the Aurora cluster, on top of Aurora's own continuous
 * backups (PITR window = backupRetentionDays). Optionally copied to a second region, so losing a
 * region (or the account's primary vault) does not lose the data.
 */
export class Backup extends Construct {
  readonly plan: backup.BackupPlan;
  readonly vault: backup.BackupVault;

  constructor(scope: Construct, id: string, props: BackupProps) {
    super(scope, id);
    const { config } = props;
    this.vault = new backup.BackupVault(this, 'Vault', {
      backupVaultName: `${props.prefix}-backup`,
      encryptionKey: props.key,
      removalPolicy: props.removalPolicy,
    });
    const copyActions: backup.BackupPlanCopyActionProps[] = config.copyToRegion
      ? [
          {
            destinationBackupVault: backup.BackupVault.fromBackupVaultArn(
              this,
              'CopyVault',
              `arn:${Aws.PARTITION}:backup:${config.copyToRegion}:${Aws.ACCOUNT_ID}:backup-vault:${copyVaultName(props.prefix)}`,
            ),
            deleteAfter: Duration.days(config.copyRetentionDays ?? config.retentionDays),
          },
        ]
      : [];
    this.plan = new backup.BackupPlan(this, 'Plan', {
      backupPlanName: `${props.prefix}-daily`,
      backupVault: this.vault,
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: 'daily',
          scheduleExpression: events.Schedule.cron({ minute: '0', hour: String(config.dailyAtUtcHour) }),
          startWindow: Duration.hours(1),
          completionWindow: Duration.hours(4),
          deleteAfter: Duration.days(config.retentionDays),
          copyActions,
        }),
      ],
    });
    const selection = this.plan.addSelection('Aurora', {
      resources: [backup.BackupResource.fromRdsDatabaseCluster(props.cluster)],
    });
    const role = selection.node.tryFindChild('Role');
    if (role) {
      acknowledge(
        role,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
        'AWS Backup assumes this role; its service-role policy is the documented, AWS-maintained permission set for taking snapshots.',
      );
    }
  }
}
