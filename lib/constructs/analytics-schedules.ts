import { RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterQueue } from './dead-letter-queue.js';
import type { StageConfig } from '../config/stages.js';

/** One entry of functions/handlers/scheduled/schedules.ts. */
export interface JobSchedule {
  /** Job name: unique, also sent to the handler as `job`. */
  readonly name: string;
  /** EventBridge Scheduler expression: `cron(...)`, `rate(...)` (UTC). */
  readonly expression: string;
  /** Handler module functions/handlers/scheduled/<fn>.ts. */
  readonly fn: string;
  readonly description: string;
  /**
   * Target input, as defined next to the schedules (functions/handlers/scheduled/schedules.ts
   * `schedulerInput`): `{ job, scheduledTime: "<aws.scheduler.scheduled-time>" }`. The scheduled
   * time is the slot the schedule fired for, so a retried delivery maps to the same period and the
   * job's per-period key makes it a no-op.
   */
  readonly input: Record<string, unknown>;
}

export interface AnalyticsSchedulesProps {
  readonly prefix: string;
  readonly config: StageConfig['schedules'];
  readonly schedules: readonly JobSchedule[];
  readonly functionFor: (fn: string) => lambda.IFunction;
}

/** A Lambda target whose role is shared and scoped to the exact function ARN (no `:*` alias wildcard). */
class JobTarget implements scheduler.IScheduleTarget {
  constructor(
    private readonly fn: lambda.IFunction,
    private readonly role: iam.IRole,
    private readonly input: Record<string, unknown>,
    private readonly dlq: sqs.IQueue,
    private readonly config: StageConfig['schedules'],
  ) {}
  bind(): scheduler.ScheduleTargetConfig {
    return {
      arn: this.fn.functionArn,
      role: this.role,
      input: scheduler.ScheduleTargetInput.fromObject(this.input),
      retryPolicy: {
        maximumRetryAttempts: this.config.maxRetries,
        maximumEventAgeInSeconds: this.config.maxEventAge.toSeconds(),
      },
      deadLetterConfig: { arn: this.dlq.queueArn },
    };
  }
}

/**
 * One EventBridge Scheduler schedule per job definition, each invoking its job Lambda with a
 * retry policy and a shared dead-letter queue (alarmed on depth > 0).
 */
export class AnalyticsSchedules extends Construct {
  readonly group: scheduler.ScheduleGroup;
  readonly dlq: sqs.Queue;
  readonly role: iam.Role;
  readonly schedules: Record<string, scheduler.Schedule> = {};

  constructor(scope: Construct, id: string, props: AnalyticsSchedulesProps) {
    super(scope, id);
    this.group = new scheduler.ScheduleGroup(this, 'Group', {
      scheduleGroupName: `${props.prefix}-jobs`,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.dlq = deadLetterQueue(this, 'Dlq');
    this.role = new iam.Role(this, 'InvokeRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'EventBridge Scheduler: invoke the job functions, dead-letter to the jobs DLQ',
    });
    this.dlq.grantSendMessages(this.role);

    const names = new Set<string>();
    const invokable = new Set<string>();
    for (const s of props.schedules) {
      if (names.has(s.name)) throw new Error(`duplicate schedule name ${s.name}`);
      names.add(s.name);
      const fn = props.functionFor(s.fn);
      if (!invokable.has(fn.node.addr)) {
        invokable.add(fn.node.addr);
        this.role.addToPolicy(
          new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }),
        );
      }
      this.schedules[s.name] = new scheduler.Schedule(this, `Schedule-${s.name}`, {
        scheduleName: `${props.prefix}-${s.name}`.slice(0, 64),
        scheduleGroup: this.group,
        description: s.description.slice(0, 512),
        schedule: scheduler.ScheduleExpression.expression(s.expression, TimeZone.ETC_UTC),
        target: new JobTarget(fn, this.role, s.input, this.dlq, props.config),
        timeWindow: scheduler.TimeWindow.off(),
      });
    }
  }
}
