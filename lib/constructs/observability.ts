import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  FREEPIK_METRICS,
  metricsNamespace,
  PIPELINE_METRICS,
  SERVICE_DIMENSION,
} from '../../functions/shared/metric-names.js';
import type { StageConfig } from '../config/stages.js';

export interface ObservabilityProps {
  readonly stage: string;
  readonly prefix: string;
  readonly alarms: StageConfig['alarms'];
  readonly api: apigw.HttpApi;
  readonly stateMachine?: sfn.IStateMachine;
  readonly cluster: rds.DatabaseCluster;
  readonly proxyName: string;
  /** Every dead-letter queue of the app: any message in one is an alarm. */
  readonly deadLetterQueues: Record<string, sqs.IQueue>;
}

/**
 * Alarms on the KPIs the design promises, all into one SNS topic (email-subscribed per stage),
 * and one dashboard with the same metrics. Custom metric names come from
 * functions/shared/metric-names.ts, the same constants the emitters use.
 */
export class Observability extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: Record<string, cloudwatch.Alarm> = {};

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { alarms: t } = props;
    this.topic = new sns.Topic(this, 'AlarmTopic', { displayName: `${props.prefix} alarms`, enforceSSL: true });
    if (t.email) this.topic.addSubscription(new subs.EmailSubscription(t.email));
    const action = new cwActions.SnsAction(this.topic);
    const alarm = (name: string, metric: cloudwatch.IMetric, o: Omit<cloudwatch.CreateAlarmOptions, 'alarmName'>) => {
      const a = new cloudwatch.Alarm(this, name, { metric, alarmName: `${props.prefix}-${name}`, ...o });
      a.addAlarmAction(action);
      a.addOkAction(action);
      this.alarms[name] = a;
      return a;
    };
    const five = Duration.minutes(5);

    // ---- API -----------------------------------------------------------------------------------
    const api5xx = props.api.metricServerError({ period: five, statistic: 'Sum' });
    const apiP99 = props.api.metricLatency({ period: five, statistic: 'p99' });
    const apiCount = props.api.metricCount({ period: five, statistic: 'Sum' });
    alarm('api-5xx', api5xx, {
      threshold: t.api5xxPer5Min,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `API returned >= ${t.api5xxPer5Min} 5xx in 5 minutes`,
    });
    alarm('api-p99-latency', apiP99, {
      threshold: t.apiP99LatencyMs,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `API p99 latency above ${t.apiP99LatencyMs} ms`,
    });

    // ---- Workflow ------------------------------------------------------------------------------
    const sm = props.stateMachine;
    if (sm) {
      alarm('workflow-failed', sm.metricFailed({ period: five, statistic: 'Sum' }), {
        threshold: t.workflowFailedPer5Min,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: 'Content workflow executions failed',
      });
      alarm('workflow-p99-duration', sm.metricTime({ period: Duration.hours(1), statistic: 'p99' }), {
        threshold: t.workflowP99DurationSeconds * 1000,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `Content workflow p99 execution time above ${t.workflowP99DurationSeconds} s`,
      });
      alarm('workflow-timed-out', sm.metricTimedOut({ period: five, statistic: 'Sum' }), {
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: 'Content workflow executions timed out',
      });
    }

    // ---- Database ------------------------------------------------------------------------------
    alarm('db-cpu', props.cluster.metricCPUUtilization({ period: five, statistic: 'Average' }), {
      threshold: t.dbCpuPercent,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
      alarmDescription: `Aurora CPU above ${t.dbCpuPercent}% for 15 minutes`,
    });
    alarm('db-connections', props.cluster.metricDatabaseConnections({ period: five, statistic: 'Maximum' }), {
      threshold: t.dbConnections,
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
      alarmDescription: `Aurora connections above ${t.dbConnections}`,
    });
    const proxyMetric = (metricName: string, statistic = 'Maximum') =>
      new cloudwatch.Metric({
        namespace: 'AWS/RDS',
        metricName,
        dimensionsMap: { ProxyName: props.proxyName },
        period: five,
        statistic,
      });
    // Pinned sessions stop RDS Proxy from sharing a database connection between clients: every
    // pinned Lambda connection then holds one Aurora connection (docs/deploy.md, "Proxy pinning").
    alarm('db-proxy-pinned', proxyMetric('DatabaseConnectionsCurrentlySessionPinned'), {
      threshold: t.proxyPinnedConnections,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription:
        `More than ${t.proxyPinnedConnections} RDS Proxy connections pinned for 15 minutes: multiplexing is ` +
        `lost (session-level SET, prepared statements, temp tables?)`,
    });

    // ---- Dead-letter queues --------------------------------------------------------------------
    for (const [name, q] of Object.entries(props.deadLetterQueues)) {
      alarm(
        `dlq-${name}`,
        q.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        {
          threshold: 0,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription: `Messages in the ${name} dead-letter queue`,
        },
      );
    }

    // ---- Freepik (custom metrics, functions/shared/metric-names.ts) ------------------------------
    const ns = metricsNamespace(props.stage);
    const freepik = (metricName: string, period: Duration, statistic = 'Sum') =>
      new cloudwatch.Metric({
        namespace: ns,
        metricName,
        dimensionsMap: { [SERVICE_DIMENSION]: FREEPIK_METRICS.service },
        period,
        statistic,
      });
    const fifteen = Duration.minutes(15);
    const errorRate = new cloudwatch.MathExpression({
      expression: 'IF(calls > 0, 100 * errors / calls, 0)',
      usingMetrics: {
        calls: freepik(FREEPIK_METRICS.calls, fifteen),
        errors: freepik(FREEPIK_METRICS.errors, fifteen),
      },
      period: fifteen,
      label: 'Freepik error rate (%)',
    });
    alarm('freepik-error-rate', errorRate, {
      threshold: t.freepikErrorRatePercent,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `More than ${t.freepikErrorRatePercent}% of Freepik calls failed in 15 minutes`,
    });
    alarm('freepik-spend', freepik(FREEPIK_METRICS.spendUsd, Duration.days(1)), {
      threshold: t.freepikSpendUsdPerDay,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `Freepik spend above USD ${t.freepikSpendUsdPerDay} in a day`,
    });

    // ---- Dashboard -----------------------------------------------------------------------------
    const pipeline = (metricName: string, statistic = 'Sum') =>
      new cloudwatch.Metric({
        namespace: ns,
        metricName,
        dimensionsMap: { [SERVICE_DIMENSION]: PIPELINE_METRICS.service },
        period: five,
        statistic,
      });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${props.prefix}-overview`,
      defaultInterval: Duration.hours(24),
    });
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(this.alarms), width: 24, height: 4 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'API requests / 5xx', left: [apiCount], right: [api5xx], width: 8 }),
      new cloudwatch.GraphWidget({
        title: 'API latency (ms)',
        left: [props.api.metricLatency({ period: five, statistic: 'p50' }), apiP99],
        leftAnnotations: [{ value: t.apiP99LatencyMs, label: 'p99 alarm' }],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Content requests',
        left: [pipeline(PIPELINE_METRICS.requestsAccepted), pipeline(PIPELINE_METRICS.requestsPublished)],
        right: [pipeline(PIPELINE_METRICS.complianceScore, 'Average')],
        width: 8,
      }),
    );
    if (sm) {
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'Workflow executions',
          left: [
            sm.metricStarted({ period: five }),
            sm.metricSucceeded({ period: five }),
            sm.metricFailed({ period: five }),
            sm.metricTimedOut({ period: five }),
          ],
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: 'Workflow duration (ms) / render (ms)',
          left: [sm.metricTime({ period: five, statistic: 'p50' }), sm.metricTime({ period: five, statistic: 'p99' })],
          right: [pipeline(PIPELINE_METRICS.renderDuration, 'p95')],
          width: 12,
        }),
      );
    }
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Aurora CPU % / ACU',
        left: [props.cluster.metricCPUUtilization({ period: five })],
        right: [props.cluster.metric('ServerlessDatabaseCapacity', { period: five, statistic: 'Average' })],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Connections (cluster / proxy clients)',
        left: [props.cluster.metricDatabaseConnections({ period: five, statistic: 'Maximum' })],
        right: [proxyMetric('ClientConnections'), proxyMetric('DatabaseConnectionsCurrentlySessionPinned')],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queues',
        left: Object.values(props.deadLetterQueues).map((q) =>
          q.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        ),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Freepik calls / errors / 429',
        left: [
          freepik(FREEPIK_METRICS.calls, five),
          freepik(FREEPIK_METRICS.errors, five),
          freepik(FREEPIK_METRICS.throttled, five),
        ],
        right: [freepik(FREEPIK_METRICS.latency, five, 'p95')],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Freepik spend (USD) / credits',
        left: [freepik(FREEPIK_METRICS.spendUsd, Duration.hours(1))],
        right: [freepik(FREEPIK_METRICS.credits, Duration.hours(1))],
        leftAnnotations: [{ value: t.freepikSpendUsdPerDay / 24, label: 'daily budget / 24' }],
        width: 12,
      }),
    );
  }
}
