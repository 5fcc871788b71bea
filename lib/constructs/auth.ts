import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct, type IConstruct } from 'constructs';
import { DASHBOARD_CALLBACK_PATH, DASHBOARD_PATH, type StageConfig } from '../config/stages.js';
import { acknowledge } from './nag.js';

export interface AuthProps {
  readonly config: StageConfig['auth'];
  /**
   * SES identities this stack creates, by the name they verify. When `config.email` sends
   * through one of them, the user pool depends on it (created after it, deleted before it).
   */
  readonly sesIdentities?: ReadonlyMap<string, IConstruct>;
}

/**
 * Who may call the API: a Cognito user pool (email sign-in, invite-only: organizations add
 * members by email), one public app client for the dashboard (authorization code + PKCE through
 * the hosted sign-in), and the hosted sign-in domain.
 *
 * The API's JWT authorizer accepts this pool's ID tokens for this client (aud = client id); the
 * handlers key users by the verified `email` claim.
 */
export class Auth extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly domain: cognito.UserPoolDomain;

  constructor(scope: Construct, id: string, { config, sesIdentities }: AuthProps) {
    super(scope, id);
    const plus = config.featurePlan === 'plus';
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true }, fullname: { required: false, mutable: true } },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: config.mfa === 'required' ? cognito.Mfa.REQUIRED : cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: plus ? cognito.FeaturePlan.PLUS : cognito.FeaturePlan.ESSENTIALS,
      standardThreatProtectionMode: plus ? cognito.StandardThreatProtectionMode.FULL_FUNCTION : undefined,
      deletionProtection: config.removalPolicy !== RemovalPolicy.DESTROY,
      removalPolicy: config.removalPolicy,
      email: config.email ? this.sesEmail(config.email) : undefined,
    });
    const own =
      config.email && !config.email.sesRegion ? sesIdentities?.get(config.email.sesIdentity.toLowerCase()) : undefined;
    // On the pool resource only: its client and domain need not wait for mail.
    if (own) this.userPool.node.defaultChild!.node.addDependency(own);
    if (config.mfa !== 'required') {
      acknowledge(
        this.userPool,
        'AwsSolutions-COG2',
        'Non-production stage: MFA is optional (TOTP offered) so test users can sign in from scripts; prod requires it.',
      );
    }
    if (!plus) {
      acknowledge(
        this.userPool,
        'AwsSolutions-COG8',
        'Non-production stage on the Essentials plan: threat protection (Plus, billed per MAU) is enabled in prod.',
      );
    }

    this.client = this.userPool.addClient('DashboardClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        // The dashboard page is a server-rendered shell without a backend session: it takes the
        // ID token from the hosted sign-in redirect fragment (implicit grant) and keeps it in the tab.
        flows: { authorizationCodeGrant: true, implicitCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: config.callbackUrls,
        logoutUrls: config.logoutUrls,
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });

    this.domain = this.userPool.addDomain('HostedSignIn', {
      cognitoDomain: { domainPrefix: config.domainPrefix },
      managedLoginVersion: cognito.ManagedLoginVersion.CLASSIC_HOSTED_UI,
    });
  }

  /**
   * Cognito's mail through SES (DEVELOPER sending account, SourceArn = the identity). Without a
   * pinned region the stack's own is used (CDK requires it spelled out for environment-agnostic
   * stacks). The From address must be what the identity verifies, or on its domain.
   */
  private sesEmail(email: NonNullable<StageConfig['auth']['email']>): cognito.UserPoolEmail {
    const identity = email.sesIdentity.toLowerCase();
    const [local, domain = ''] = email.from.split('@');
    // SES names are case-insensitive; CDK compares the domain exactly.
    const from = `${local}@${domain.toLowerCase()}`;
    const isAddress = identity.includes('@');
    if (isAddress ? from.toLowerCase() !== identity : domain.toLowerCase() !== identity) {
      throw new Error(
        `auth.email: ${email.from} is not covered by the SES identity ${email.sesIdentity} (use the identity's address, or an address on its domain)`,
      );
    }
    return cognito.UserPoolEmail.withSES({
      fromEmail: from,
      fromName: email.fromName,
      replyTo: email.replyTo,
      sesRegion: email.sesRegion ?? Stack.of(this).region,
      sesVerifiedDomain: isAddress ? undefined : identity,
    });
  }

  /** Adds the app's own dashboard URLs (known only once the API exists) to the client. */
  addAppUrls(baseUrl: string): void {
    const cfn = this.client.node.defaultChild as cognito.CfnUserPoolClient;
    cfn.callbackUrLs = [...(cfn.callbackUrLs ?? []), `${baseUrl}${DASHBOARD_CALLBACK_PATH}`];
    cfn.logoutUrLs = [...(cfn.logoutUrLs ?? []), `${baseUrl}${DASHBOARD_PATH}`];
  }

  /** Hosted sign-in URL returning an ID token to `redirectUri` (which must be a registered callback). */
  signInUrl(redirectUri: string): string {
    return (
      `${this.domain.baseUrl()}/oauth2/authorize?response_type=token` +
      `&client_id=${this.client.userPoolClientId}&scope=openid+email+profile&redirect_uri=${redirectUri}`
    );
  }

  /** `https://cognito-idp.<region>.amazonaws.com/<poolId>`: the `iss` of its tokens. */
  get issuer(): string {
    return `https://cognito-idp.${this.userPool.stack.region}.amazonaws.com/${this.userPool.userPoolId}`;
  }
}
