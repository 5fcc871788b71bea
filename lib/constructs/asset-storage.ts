import { Duration, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stages.js';
// The prefix CloudFront may serve (Publish copies variants there); uploads and drafts stay private.
import { PUBLISHED_PREFIX } from '../../functions/domain/rendering/keys.js';
import { acknowledge } from './nag.js';

export interface AssetStorageProps {
  readonly storage: StageConfig['storage'];
  readonly cdn: StageConfig['cdn'];
}

/**
 * An S3 origin behind Origin Access Control that can only reach `published/`: the origin path
 * keeps CloudFront inside the prefix and the bucket policy grants CloudFront nothing else.
 */
class PublishedPrefixOrigin extends cloudfront.OriginBase {
  constructor(bucket: s3.IBucket, oac: cloudfront.IOriginAccessControl) {
    super(bucket.bucketRegionalDomainName, {
      originPath: `/${PUBLISHED_PREFIX}`,
      originAccessControlId: oac.originAccessControlId,
    });
  }
  protected override renderS3OriginConfig(): cloudfront.CfnDistribution.S3OriginConfigProperty {
    // OAC replaces OAI; CloudFront requires the empty string here.
    return { originAccessIdentity: '' };
  }
}

/**
 * The asset bucket (uploads, masters, variants), its server-access-log bucket, and the CloudFront
 * distribution that delivers published variants.
 */
export class AssetStorage extends Construct {
  readonly bucket: s3.Bucket;
  /** Server access logs, CloudFront logs and VPC flow logs. */
  readonly logBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: AssetStorageProps) {
    super(scope, id);
    const { storage, cdn } = props;

    this.logBucket = new s3.Bucket(this, 'LogBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // CloudFront standard logging still writes with ACLs.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      removalPolicy: storage.removalPolicy,
      lifecycleRules: [
        { id: 'expire-logs', expiration: Duration.days(storage.accessLogExpirationDays) },
        { id: 'abort-multipart', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    acknowledge(
      this.logBucket,
      'AwsSolutions-S1',
      'This is the access-log bucket itself; logging it into itself would loop.',
    );

    this.bucket = new s3.Bucket(this, 'AssetBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // SSE-S3 keeps CloudFront OAC and presigned URLs free of KMS key-policy coupling; tenant
      // secrets live in PostgreSQL under the field key, not in this bucket.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: storage.removalPolicy,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 's3-access/assets/',
      lifecycleRules: [
        {
          id: 'expire-noncurrent',
          noncurrentVersionExpiration: Duration.days(storage.noncurrentVersionExpirationDays),
        },
        {
          id: 'abort-multipart',
          abortIncompleteMultipartUploadAfter: Duration.days(storage.abortIncompleteMultipartUploadDays),
        },
      ],
      cors: [
        {
          allowedMethods: [s3.HttpMethods.PUT, s3.HttpMethods.GET, s3.HttpMethods.HEAD],
          allowedOrigins: storage.corsAllowedOrigins,
          allowedHeaders: [
            'content-type',
            'content-md5',
            'x-amz-checksum-sha256',
            'x-amz-checksum-crc32',
            'x-amz-sdk-checksum-algorithm',
          ],
          exposedHeaders: ['etag'],
          maxAge: 3000,
        },
      ],
    });

    const oac = new cloudfront.S3OriginAccessControl(this, 'OriginAccessControl', {
      signing: cloudfront.Signing.SIGV4_ALWAYS,
    });
    const certificate = cdn.certificateArn
      ? acm.Certificate.fromCertificateArn(this, 'Certificate', cdn.certificateArn)
      : undefined;
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `${Stack.of(this).stackName} published assets`,
      defaultBehavior: {
        origin: new PublishedPrefixOrigin(this.bucket, oac),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
      },
      priceClass:
        cloudfront.PriceClass[
          cdn.priceClass === 'PriceClass_100'
            ? 'PRICE_CLASS_100'
            : cdn.priceClass === 'PriceClass_200'
              ? 'PRICE_CLASS_200'
              : 'PRICE_CLASS_ALL'
        ],
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      // Only meaningful with a custom certificate (the default one is fixed at TLSv1).
      minimumProtocolVersion: certificate ? cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 : undefined,
      certificate,
      domainNames: certificate ? cdn.domainNames : undefined,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
    });
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudFrontReadsPublishedOnly',
        principals: [new iam.ServicePrincipal('cloudfront.amazonaws.com')],
        actions: ['s3:GetObject'],
        resources: [this.bucket.arnForObjects(`${PUBLISHED_PREFIX}/*`)],
        conditions: { StringEquals: { 'AWS:SourceArn': this.distribution.distributionArn } },
      }),
    );

    acknowledge(
      this.distribution,
      'AwsSolutions-CFR1',
      'Published social images are meant for every country the tenants post in; no geo restriction.',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR2',
      'Serves only immutable published images from one prefix (GET/HEAD, no origin logic); a WAF web ACL ' +
        'adds cost without a request surface to protect. Revisit if a dynamic origin is added.',
    );
    if (!certificate) {
      acknowledge(
        this.distribution,
        'AwsSolutions-CFR4',
        'No custom domain configured for this stage, so the CloudFront default certificate is used (TLS ' +
          'policy cannot be pinned). Set cdn.certificateArn to enforce TLSv1.2_2021.',
      );
    }
  }
}
