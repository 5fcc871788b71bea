#!/usr/bin/env node
/**
 * The CDK app behind `npx cdk synth|deploy` (cdk.json runs it with tsx). The only process that
 * creates an App for AWS. Synth needs no AWS credentials: the stacks are environment-agnostic
 * unless the stage config pins account/region. Everything comes from CDK context:
 *
 *   npx cdk synth -c stage=prod
 *   npx cdk deploy --all -c stage=dev -c deployId=$(git rev-parse HEAD)
 *   npx cdk synth -c stage=prod -c skipBundling=true --no-validation   # templates only, seconds
 */
import { buildApp } from '../lib/app.js';

buildApp().app.synth();
