#!/usr/bin/env node
import { createStepwiseApp } from '../lib/stepwise-app.ts';

// Synthesized by the CDK CLI (`npx cdk synth`), which runs this file with `node bin/app.ts`.
createStepwiseApp();
