import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as ses from 'aws-cdk-lib/aws-ses';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterQueue } from './dead-letter-queue.js';
import { EVENT_SOURCE } from '../../functions/adapters/approvals/event-publisher.js';
import type { StageConfig } from '../config/stages.js';

/** detail-type of the event the publish step puts on the bus. */
export const CONTENT_PUBLISHED = 'content.published';

export interface ApprovalsProps {
  readonly prefix: string;
  readonly email: StageConfig['email'];
}

/**
 * What the approval flow needs around the workflow: the SES identity approval mail is sent from,
 * the product's event bus with the `content.published` rule (plus an archive so integrations can
 * replay), and a DLQ for deliveries the rule's targets could not take.
 */
export class Approvals extends Construct {
  readonly identity: ses.EmailIdentity;
  /** What the identity verifies: the domain (or hosted zone's name), else the sender address. */
  readonly identityName: string;
  readonly senderAddress: string;
  /** The verified recipients of a stage in the SES sandbox (empty outside it). */
  readonly recipientIdentities: ses.EmailIdentity[];
  readonly bus: events.EventBus;
  readonly publishedRule: events.Rule;
  /** Events the rule could not deliver after its retries. */
  readonly publishedDlq: sqs.Queue;

  constructor(scope: Construct, id: string, props: ApprovalsProps) {
    super(scope, id);
    const { email } = props;
    this.senderAddress = email.senderAddress;
    const zone = email.hostedZone
      ? route53.PublicHostedZone.fromPublicHostedZoneAttributes(this, 'Zone', {
          hostedZoneId: email.hostedZone.id,
          zoneName: email.hostedZone.name,
        })
      : undefined;
    this.identityName = zone ? zone.zoneName : (email.domain ?? email.senderAddress);
    this.identity = new ses.EmailIdentity(this, 'SenderIdentity', {
      identity: zone
        ? ses.Identity.publicHostedZone(zone)
        : email.domain
          ? ses.Identity.domain(email.domain)
          : ses.Identity.email(email.senderAddress),
    });

    this.recipientIdentities = (email.sandboxRecipients ?? []).map(
      (address, i) => new ses.EmailIdentity(this, `SandboxRecipient${i}`, { identity: ses.Identity.email(address) }),
    );

    this.bus = new events.EventBus(this, 'Bus', { eventBusName: `${props.prefix}-events` });
    this.bus.archive('PublishedArchive', {
      archiveName: `${props.prefix}-published`,
      description: 'content.published events, replayable for new integrations',
      eventPattern: { source: [EVENT_SOURCE], detailType: [CONTENT_PUBLISHED] },
      retention: Duration.days(365),
    });

    this.publishedDlq = deadLetterQueue(this, 'PublishedDlq');
    this.publishedRule = new events.Rule(this, 'PublishedRule', {
      eventBus: this.bus,
      description: 'A content request was published: notify and deliver webhooks',
      eventPattern: { source: [EVENT_SOURCE], detailType: [CONTENT_PUBLISHED] },
    });
  }

  /** Sends `content.published` to `fn` (async invoke, retried, then the DLQ). */
  deliverPublishedTo(fn: lambda.IFunction): void {
    this.publishedRule.addTarget(
      new targets.LambdaFunction(fn, {
        deadLetterQueue: this.publishedDlq,
        retryAttempts: 8,
        maxEventAge: Duration.hours(6),
      }),
    );
  }
}
