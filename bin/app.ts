#!/usr/bin/env node
/**
 * The CDK app behind `npx cdk synth|deploy` (cdk.json runs it with tsx). The only process that
 * creates an App for AWS. Stage: `-c stage=dev|prod` (cdk.json defaults to dev). Synth needs no
 * AWS credentials: stacks are environment-agnostic unless the stage config pins account/region.
 *
 *   npx cdk synth -c stage=prod
 *   npx cdk deploy --all -c stage=dev -c deployId=$(git rev-parse HEAD)
 */
import { buildApp } from '../lib/app.js';

buildApp().app.synth();
