/**
 * Typed per-stage configuration. The only place where stage differences live: constructs receive
 * the slice they need as props and never read process.env (bin/app.ts picks the stage from
 * `-c stage=dev|prod` and may override account/region from the CLI environment).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { TaskName } from '../../functions/domain/pipeline.js';

export const STAGE_NAMES = ['dev', 'prod'] as const;

/**
 * The two names the Freepik API answers to since its 2026 rename (docs/freepik.md), each a base
 * URL with its key header. Switch a stage with `freepik: { ...FREEPIK_APIS.magnific }`.
 */
export const FREEPIK_APIS = {
  freepik: { baseUrl: 'https://api.freepik.com', keyHeader: 'x-freepik-api-key' },
  magnific: { baseUrl: 'https://api.magnific.com', keyHeader: 'x-magnific-api-key' },
} as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** Routes of the dashboard page (functions/handlers/api/dashboard-pages.ts). */
export const DASHBOARD_PATH = '/dashboard';
export const DASHBOARD_CALLBACK_PATH = '/dashboard/callback';

/**
 * Where a stage's dashboard is served from decides four settings: the origins allowed to call the
 * API and the bucket from a browser, and the sign-in's callback and sign-out URLs. Named once per
 * stage so they cannot drift apart.
 */
function dashboardAt(origin: string) {
  return {
    corsAllowedOrigins: [origin],
    callbackUrls: [`${origin}${DASHBOARD_CALLBACK_PATH}`],
    logoutUrls: [`${origin}${DASHBOARD_PATH}`],
  };
}
const DEV_DASHBOARD = dashboardAt('http://localhost:3000');
const PROD_DASHBOARD = dashboardAt('https://app.example.com');

/** Lambda CPU architecture; sharp's native binaries are installed for the same one. */
export type LambdaArch = 'arm64' | 'x86_64';

/** Function groups share sizing; each AppFunction names its group. */
export type FunctionGroup = 'api' | 'render' | 'workflow' | 'jobs' | 'events' | 'migrate';

export interface FunctionSizing {
  /** Memory in MB (CPU scales with it; rendering wants >= 1769 MB for a full vCPU). */
  readonly memoryMb: number;
  readonly timeout: Duration;
}

/**
 * Lambda keeps at least this many of an account's concurrent executions unreserved (per region);
 * a function whose reservation would cut into them is refused at deploy time.
 */
export const MIN_UNRESERVED_CONCURRENCY = 100;

/**
 * Reserved concurrency: a ceiling that bounds what a burst may take (Freepik waits, database
 * connections, cost) and a floor no other function can take away. docs/local-stack.md, "What
 * bounds a burst in AWS", explains each value.
 */
export interface ReservedConcurrency {
  /** Each API function's own (one function per handler module); unset: none, they share the rest. */
  readonly api?: number;
  /** Per workflow task function; these tasks retry a throttled invoke patiently (content-workflow.ts). */
  readonly tasks: Readonly<Partial<Record<TaskName, number>>>;
}

export interface StageConfig {
  readonly stage: StageName;
  /** Prefix for physical names (log groups, cluster id, bus name...). */
  readonly prefix: string;
  /** Deployment target; undefined = the CLI's current account/region at deploy time. */
  readonly env?: { readonly account?: string; readonly region?: string };
  readonly network: {
    readonly maxAzs: number;
    /** NAT gateways for the private-with-egress subnets (Freepik, AWS APIs). 1 in dev = one AZ's worth. */
    readonly natGateways: number;
    readonly cidr: string;
  };
  readonly database: {
    readonly databaseName: string;
    /** Master (owner) user that runs migrations; the app connects as `svp_app`. */
    readonly ownerUsername: string;
    /** Non-default port (AwsSolutions-RDS11); the proxy listens on 5432 regardless. */
    readonly port: number;
    readonly minAcu: number;
    readonly maxAcu: number;
    /** A serverless v2 reader for analytics reads (and a read-only proxy endpoint). */
    readonly reader: boolean;
    /** Automated backup retention = point-in-time-recovery window. */
    readonly backupRetentionDays: number;
    readonly deletionProtection: boolean;
    readonly removalPolicy: RemovalPolicy;
    readonly secretRotationDays: number;
    readonly performanceInsights: boolean;
  };
  readonly backup: {
    /** Daily AWS Backup recovery points, kept this long. */
    readonly retentionDays: number;
    /** Cron (UTC) of the daily backup. */
    readonly dailyAtUtcHour: number;
    /** Region to copy each recovery point to (a vault is created there by a small extra stack). */
    readonly copyToRegion?: string;
    readonly copyRetentionDays?: number;
  };
  readonly storage: {
    readonly removalPolicy: RemovalPolicy;
    readonly noncurrentVersionExpirationDays: number;
    readonly abortIncompleteMultipartUploadDays: number;
    /** Browser origins allowed to PUT presigned uploads / GET assets directly. */
    readonly corsAllowedOrigins: string[];
    readonly accessLogExpirationDays: number;
  };
  readonly cdn: {
    readonly priceClass: 'PriceClass_100' | 'PriceClass_200' | 'PriceClass_All';
    /** ACM certificate (us-east-1) + aliases; without them CloudFront's default certificate is used. */
    readonly certificateArn?: string;
    readonly domainNames?: string[];
  };
  readonly logs: {
    readonly retention: RetentionDays;
    /** Powertools LOG_LEVEL. */
    readonly level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  };
  readonly alarms: {
    /** Subscribed to the alarm topic when set. */
    readonly email?: string;
    /** 5xx responses per 5 minutes before alarming. */
    readonly api5xxPer5Min: number;
    readonly apiP99LatencyMs: number;
    readonly workflowFailedPer5Min: number;
    /** p99 execution time (seconds) of the content workflow, approval wait included. */
    readonly workflowP99DurationSeconds: number;
    readonly dbCpuPercent: number;
    readonly dbConnections: number;
    /** RDS Proxy connections pinned to one client (DatabaseConnectionsCurrentlySessionPinned), sustained. */
    readonly proxyPinnedConnections: number;
    /** Percentage of Freepik calls failing within 15 minutes. */
    readonly freepikErrorRatePercent: number;
    /** Freepik spend (USD) per day across tenants. */
    readonly freepikSpendUsdPerDay: number;
  };
  readonly email: {
    /** Sender of approval mail (From:). */
    readonly senderAddress: string;
    /**
     * Verified domain identity (DKIM). Without it only the sender address is verified, which is
     * enough for the SES sandbox in dev.
     */
    readonly domain?: string;
    /** Route 53 zone of `domain`; when given DKIM records are created automatically. */
    readonly hostedZone?: { readonly id: string; readonly name: string };
    /**
     * Set while the account sends from the SES sandbox (every new account does, until production
     * access is granted): the only addresses mail may go to. Each becomes a verified identity of
     * the stack (SES mails it a confirmation link) and the mail functions may send to it; in the
     * sandbox SES authorizes a send against the sender's and every recipient's identity.
     */
    readonly sandboxRecipients?: readonly string[];
  };
  readonly auth: {
    /** Cognito hosted sign-in domain prefix (globally unique per region). */
    readonly domainPrefix: string;
    readonly callbackUrls: string[];
    readonly logoutUrls: string[];
    readonly mfa: 'required' | 'optional';
    /** 'plus' enables threat protection (AwsSolutions-COG8); billed per MAU. */
    readonly featurePlan: 'essentials' | 'plus';
    readonly removalPolicy: RemovalPolicy;
    /**
     * Cognito's own mail (invitations, verification codes, password resets) through SES instead
     * of Cognito's default sender, which allows about 50 mails a day per account. Unset = the
     * default sender. Set it only once the identity is verified in SES: CloudFormation cannot
     * create or update a pool that points at an unverified identity (docs/deploy.md, "Cognito's
     * own mail").
     */
    readonly email?: {
      /** From: address; `sesIdentity` must be this address or its domain. */
      readonly from: string;
      /** Display name in From:. */
      readonly fromName?: string;
      readonly replyTo?: string;
      /**
       * The verified SES identity Cognito sends through, by name: a domain (`example.com`) or an
       * address. When it is the stage's own sender identity (email.domain, else
       * email.senderAddress), which the app stack creates, the user pool depends on it.
       */
      readonly sesIdentity: string;
      /** Region of the identity when it is not the stack's (only some pairs are supported by Cognito). */
      readonly sesRegion?: string;
    };
  };
  readonly api: {
    readonly throttleRatePerSecond: number;
    readonly throttleBurst: number;
    readonly corsAllowedOrigins: string[];
    /**
     * The API's public host name (custom domain). Links in mail, the sign-in callback and the
     * dashboard use `https://<name>`; without it they use the API's own execute-api URL.
     * - `certificateArn`: an existing ACM certificate in the stack's region covering `name`;
     * - else a DNS-validated certificate is created: in `hostedZone` automatically (with the
     *   alias records), otherwise the deploy waits until the validation CNAME that ACM shows is
     *   added to your DNS (docs/deploy.md).
     */
    readonly domain?: {
      readonly name: string;
      readonly certificateArn?: string;
      readonly hostedZone?: { readonly id: string; readonly name: string };
    };
  };
  /**
   * Which name of the Freepik API the Source image function calls (FREEPIK_BASE_URL,
   * FREEPIK_KEY_HEADER): one of FREEPIK_APIS, or a proxy's URL with the header it expects.
   */
  readonly freepik: {
    readonly baseUrl: string;
    /** Header the key is sent in; it belongs to the base URL (a known host with the other name's header is refused at synth). */
    readonly keyHeader: string;
    /**
     * Replaces the image download allow-list (FREEPIK_DOWNLOAD_HOSTS, `*` wildcards). Without it
     * the function derives the list from baseUrl (Freepik's CDN hosts plus the same names under
     * the configured API's domain).
     */
    readonly downloadHosts?: readonly string[];
  };
  readonly lambda: {
    readonly architecture: LambdaArch;
    /** Pinned runtime; see docs/deploy.md for moving to a newer one. */
    readonly runtime: 'nodejs22.x' | 'nodejs24.x';
    readonly groups: Record<FunctionGroup, FunctionSizing>;
    /**
     * The account's Lambda concurrent executions quota in the stage's region (Service Quotas,
     * "Concurrent executions"; 1,000 by default, often far less on a new account). Synth fails
     * when the app's reservations would leave fewer than MIN_UNRESERVED_CONCURRENCY of it.
     */
    readonly accountConcurrency: number;
    readonly reservedConcurrency: ReservedConcurrency;
  };
  readonly schedules: {
    /** Retries of a schedule delivery before it lands in the DLQ. */
    readonly maxRetries: number;
    readonly maxEventAge: Duration;
  };
}

const groups = (over: Partial<Record<FunctionGroup, FunctionSizing>> = {}): Record<FunctionGroup, FunctionSizing> => ({
  api: { memoryMb: 512, timeout: Duration.seconds(15) },
  // sharp is CPU-bound: 1769 MB buys one full vCPU, 3008 MB ~1.7 vCPU for parallel presets.
  render: { memoryMb: 2048, timeout: Duration.seconds(120) },
  workflow: { memoryMb: 512, timeout: Duration.seconds(120) },
  jobs: { memoryMb: 1024, timeout: Duration.minutes(10) },
  events: { memoryMb: 256, timeout: Duration.seconds(60) },
  migrate: { memoryMb: 512, timeout: Duration.minutes(10) },
  ...over,
});

export const stages: Record<StageName, StageConfig> = {
  dev: {
    stage: 'dev',
    prefix: 'svp-dev',
    network: { maxAzs: 2, natGateways: 1, cidr: '10.40.0.0/16' },
    database: {
      databaseName: 'svp',
      ownerUsername: 'svp_owner',
      port: 5433,
      // Not 0: RDS Proxy holds connections open, which would keep an auto-pausing instance awake
      // anyway (and make the first request after a pause wait ~15 s).
      minAcu: 0.5,
      maxAcu: 4,
      reader: false,
      backupRetentionDays: 3,
      deletionProtection: false,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      secretRotationDays: 30,
      performanceInsights: true,
    },
    backup: { retentionDays: 7, dailyAtUtcHour: 3 },
    storage: {
      removalPolicy: RemovalPolicy.DESTROY,
      noncurrentVersionExpirationDays: 7,
      abortIncompleteMultipartUploadDays: 1,
      corsAllowedOrigins: DEV_DASHBOARD.corsAllowedOrigins,
      accessLogExpirationDays: 30,
    },
    cdn: { priceClass: 'PriceClass_100' },
    logs: { retention: RetentionDays.TWO_WEEKS, level: 'DEBUG' },
    alarms: {
      api5xxPer5Min: 10,
      apiP99LatencyMs: 1500,
      workflowFailedPer5Min: 3,
      workflowP99DurationSeconds: 3600,
      dbCpuPercent: 70,
      dbConnections: 200,
      proxyPinnedConnections: 20,
      freepikErrorRatePercent: 20,
      freepikSpendUsdPerDay: 25,
    },
    email: {
      senderAddress: 'approvals-dev@example.com',
      sandboxRecipients: ['reviewer-dev@example.com', 'owner-dev@example.com'],
    },
    auth: {
      domainPrefix: 'svp-dev-signin',
      callbackUrls: DEV_DASHBOARD.callbackUrls,
      logoutUrls: DEV_DASHBOARD.logoutUrls,
      mfa: 'optional',
      featurePlan: 'essentials',
      removalPolicy: RemovalPolicy.DESTROY,
    },
    api: { throttleRatePerSecond: 50, throttleBurst: 100, corsAllowedOrigins: DEV_DASHBOARD.corsAllowedOrigins },
    freepik: { ...FREEPIK_APIS.freepik },
    lambda: {
      architecture: 'arm64',
      runtime: 'nodejs22.x',
      groups: groups(),
      accountConcurrency: 1000,
      // The API shares the unreserved pool in dev: a dev account rarely sees more than its testers.
      reservedConcurrency: { tasks: { sourceImage: 4, renderVariant: 8 } },
    },
    schedules: { maxRetries: 3, maxEventAge: Duration.hours(1) },
  },
  prod: {
    stage: 'prod',
    prefix: 'svp-prod',
    network: { maxAzs: 2, natGateways: 2, cidr: '10.41.0.0/16' },
    database: {
      databaseName: 'svp',
      ownerUsername: 'svp_owner',
      port: 5433,
      minAcu: 0.5,
      maxAcu: 16,
      reader: true,
      backupRetentionDays: 14,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      secretRotationDays: 30,
      performanceInsights: true,
    },
    backup: { retentionDays: 35, dailyAtUtcHour: 3, copyToRegion: 'eu-central-1', copyRetentionDays: 35 },
    storage: {
      removalPolicy: RemovalPolicy.RETAIN,
      noncurrentVersionExpirationDays: 30,
      abortIncompleteMultipartUploadDays: 1,
      corsAllowedOrigins: PROD_DASHBOARD.corsAllowedOrigins,
      accessLogExpirationDays: 365,
    },
    cdn: { priceClass: 'PriceClass_100' },
    logs: { retention: RetentionDays.THREE_MONTHS, level: 'INFO' },
    alarms: {
      email: 'ops@example.com',
      api5xxPer5Min: 5,
      apiP99LatencyMs: 1000,
      workflowFailedPer5Min: 1,
      workflowP99DurationSeconds: 3 * 24 * 3600,
      dbCpuPercent: 70,
      dbConnections: 400,
      proxyPinnedConnections: 50,
      freepikErrorRatePercent: 10,
      freepikSpendUsdPerDay: 200,
    },
    email: { senderAddress: 'approvals@example.com', domain: 'example.com' },
    auth: {
      domainPrefix: 'svp-prod-signin',
      callbackUrls: PROD_DASHBOARD.callbackUrls,
      logoutUrls: PROD_DASHBOARD.logoutUrls,
      mfa: 'required',
      featurePlan: 'plus',
      removalPolicy: RemovalPolicy.RETAIN,
      // The stage's SES domain identity (email.domain): verify it before the first deploy that
      // sets this (docs/deploy.md).
      email: {
        from: 'sign-in@example.com',
        fromName: 'Social Visual Pipeline',
        replyTo: 'support@example.com',
        sesIdentity: 'example.com',
      },
    },
    api: {
      throttleRatePerSecond: 500,
      throttleBurst: 1000,
      corsAllowedOrigins: PROD_DASHBOARD.corsAllowedOrigins,
      domain: { name: 'api.example.com' },
    },
    freepik: { ...FREEPIK_APIS.freepik },
    lambda: {
      architecture: 'arm64',
      runtime: 'nodejs22.x',
      groups: groups({
        api: { memoryMb: 1024, timeout: Duration.seconds(15) },
        render: { memoryMb: 3008, timeout: Duration.seconds(120) },
      }),
      accountConcurrency: 1000,
      // 13 API functions x 50 + 10 + 40, plus the migration and login functions' 1 each: 702,
      // leaving 298 for the other tasks, jobs and event handlers (and a dev stage in the same account).
      reservedConcurrency: { api: 50, tasks: { sourceImage: 10, renderVariant: 40 } },
    },
    schedules: { maxRetries: 5, maxEventAge: Duration.hours(6) },
  },
};

export function isStageName(name: unknown): name is StageName {
  return typeof name === 'string' && (STAGE_NAMES as readonly string[]).includes(name);
}

/** One function's reserved concurrency, named for the error message. */
export interface Reservation {
  readonly name: string;
  readonly reserved: number;
}

/**
 * Checks the reservations of every function a stage deploys against the account's quota: each a
 * positive integer (0 would stop the function entirely), and together leaving at least
 * MIN_UNRESERVED_CONCURRENCY. Throws what to change; returns the totals otherwise.
 */
export function checkReservedConcurrency(
  config: Pick<StageConfig, 'stage' | 'lambda'>,
  reservations: readonly Reservation[],
): { reserved: number; unreserved: number } {
  const account = config.lambda.accountConcurrency;
  const where = 'lambda.reservedConcurrency in lib/config/stages.ts';
  for (const r of reservations) {
    if (!Number.isInteger(r.reserved) || r.reserved < 1) {
      throw new Error(
        `${config.stage}: ${r.name} reserves ${r.reserved} concurrent executions; use a positive integer (${where})`,
      );
    }
  }
  const reserved = reservations.reduce((sum, r) => sum + r.reserved, 0);
  const unreserved = account - reserved;
  if (unreserved < MIN_UNRESERVED_CONCURRENCY) {
    const largest = [...reservations]
      .sort((a, b) => b.reserved - a.reserved || a.name.localeCompare(b.name))
      .slice(0, 5)
      .map((r) => `${r.name} ${r.reserved}`)
      .join(', ');
    throw new Error(
      [
        `${config.stage}: the functions reserve ${reserved} concurrent executions (${reservations.length} functions;`,
        `largest: ${largest}), leaving ${unreserved} of the account's ${account} unreserved;`,
        `Lambda keeps at least ${MIN_UNRESERVED_CONCURRENCY} unreserved. Lower ${where},`,
        'or raise lambda.accountConcurrency after a Service Quotas increase.',
      ].join(' '),
    );
  }
  return { reserved, unreserved };
}

/** Config for a stage; throws a readable error for an unknown name. */
export function stageConfig(name: unknown): StageConfig {
  if (!isStageName(name)) {
    throw new Error(`unknown stage ${JSON.stringify(name)}: use -c stage=${STAGE_NAMES.join('|')}`);
  }
  return stages[name];
}
