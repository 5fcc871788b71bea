import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stages.js';
import { acknowledge } from './nag.js';

export interface AuthProps {
  readonly config: StageConfig['auth'];
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

  constructor(scope: Construct, id: string, props: AuthProps) {
    super(scope, id);
    const { config } = props;
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
    });
    if (config.mfa !== 'required') {
      acknowledge(this.userPool, 'AwsSolutions-COG2', 'Non-production stage: MFA is optional (TOTP offered) so test users can sign in from scripts; prod requires it.');
    }
    if (!plus) {
      acknowledge(this.userPool, 'AwsSolutions-COG8', 'Non-production stage on the Essentials plan: threat protection (Plus, billed per MAU) is enabled in prod.');
    }

    this.client = this.userPool.addClient('DashboardClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
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

  /** `https://cognito-idp.<region>.amazonaws.com/<poolId>`: the `iss` of its tokens. */
  get issuer(): string {
    return `https://cognito-idp.${this.userPool.stack.region}.amazonaws.com/${this.userPool.userPoolId}`;
  }
}
