import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { copyVaultName } from '../constructs/backup.js';

export interface BackupCopyVaultStackProps extends StackProps {
  readonly prefix: string;
}

/** The vault in the copy region that receives the daily recovery points (deployed before DataStack). */
export class BackupCopyVaultStack extends Stack {
  readonly vault: backup.BackupVault;

  constructor(scope: Construct, id: string, props: BackupCopyVaultStackProps) {
    super(scope, id, props);
    const key = new kms.Key(this, 'CopyKey', {
      alias: `alias/${props.prefix}/backup-copy`,
      description: 'Cross-region copies of Aurora recovery points',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.vault = new backup.BackupVault(this, 'Vault', {
      backupVaultName: copyVaultName(props.prefix),
      encryptionKey: key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
