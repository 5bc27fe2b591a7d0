#!/usr/bin/env node
import { createStepwiseApp } from '../lib/stepwise-app.ts';

// Synthesized by the CDK CLI (`npx cdk synth`), which runs this file with `node bin/app.ts`.
// Context: `config` (registry file, default ./stepwise.config.json if present), `example=true`
// (adds the example workload stack), `stackName` (default Stepwise), `account` and `region` (default
// what the CLI's credentials and configuration give; one of the two is required),
// `apiGatewayCloudWatchRole=true` (also set the account's API Gateway CloudWatch role).
await createStepwiseApp();
