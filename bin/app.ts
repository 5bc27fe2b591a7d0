#!/usr/bin/env node
import { createStepwiseApp } from '../lib/stepwise-app.ts';

// Synthesized by the CDK CLI (`npx cdk synth`), which runs this file with `node bin/app.ts`.
// Context: `config` (registry file, default ./stepwise.config.json if present), `example=true`
// (adds the example workload stack), `stackName` (default Stepwise).
await createStepwiseApp();
