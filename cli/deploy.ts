import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { DeploymentView } from '../lambdas/control/operations.ts';
import { InvalidInputError } from '../lambdas/domain/errors.ts';
import {
  DEFAULT_BAKE_SECONDS,
  DEFAULT_WEIGHTS,
  MAX_BAKE_SECONDS,
  parseDurationSeconds,
  parseWeights,
} from '../lambdas/domain/plan.ts';
import { deploymentRequestSchema } from '../lambdas/domain/schemas.ts';
import { defaultStrategyPlan, expandPlan, isStrategy, STRATEGIES } from '../lambdas/domain/strategies.ts';
import type { InsufficientDataPolicy } from '../lambdas/domain/types.ts';
import { injectGrammar, parseFaults } from '../local/faults.ts';
import {
  type ApprovalMode,
  DEFAULT_ALARMS,
  type LocalAlarmSettings,
  type LocalDeployOptions,
  TASK_NAMES,
} from '../local/runtime.ts';
import type { TreatMissingData } from '../local/simulated-cloudwatch.ts';
import { type ApiClient, connect } from './api-client.ts';
import { viewLines, wait } from './control.ts';
import { UsageError } from './errors.ts';
import { progressLines, summaryLines } from './format.ts';
import { openRuntime } from './state-dir.ts';

export const DEPLOY_HELP = `Usage: npx stepwise deploy --service NAME --image IMAGE [options]

Runs a rollout on the embedded engine: the same statemachines/<strategy>.asl.json and task code as
on AWS, with DynamoDB served by dynalite under .stepwise/, and a simulated fleet and CloudWatch on
a virtual clock (a 20-minute plan takes well under a second).

  --service NAME               service to deploy (lowercase letters, digits, dashes)
  --image IMAGE                the new version, e.g. shop:1.1 or an ECR image URI
  --strategy NAME              ${STRATEGIES.join(' | ')}   (default canary)
  --plan FILE                  the strategy's plan as JSON, in the schema the service config uses
  --steps LIST                 canary shorthand: candidate weights ending at 100   (default ${DEFAULT_WEIGHTS.join(',')})
  --bake DURATION              soak time of each step in the default plans: 30s, 5m, 1h   (default ${DEFAULT_BAKE_SECONDS / 60}m)
  --approve HOW                auto | deny | after=DURATION: an approval gate before the first production
                               traffic, decided that way (and so are the plan's own gates); without it
                               the plan's gates wait out their timeout
  --error-threshold PERCENT    alarm when the new version's error rate exceeds it   (default ${DEFAULT_ALARMS.errorRatePercent}%)
  --latency-threshold DURATION alarm when its p99 latency exceeds it                (default ${DEFAULT_ALARMS.latencyMs}ms)
  --period DURATION            alarm period                                        (default ${DEFAULT_ALARMS.periodSeconds}s)
  --evaluation-periods N       periods each alarm evaluates                        (default ${DEFAULT_ALARMS.evaluationPeriods})
  --datapoints-to-alarm M      breaching periods out of N that make ALARM          (default ${DEFAULT_ALARMS.datapointsToAlarm})
  --missing-data HOW           breaching | notBreaching | ignore | missing          (default ${DEFAULT_ALARMS.treatMissingData})
  --insufficient-data VERDICT  what INSUFFICIENT_DATA means: healthy | unhealthy    (default healthy)
  --rpm N                      simulated requests per minute across the service    (default 1000)
  --digest sha256:…            image digest, recorded in the audit trail
  --commit SHA                 commit the image was built from, recorded in the audit trail
  --state-dir DIR              where local state lives (default .stepwise, or $STEPWISE_STATE_DIR)
  --reason TEXT                why, for the audit trail
  --allow-firing-alarms        go ahead although an alarm is already in ALARM (shipping a fix); audited
  --api URL                    ask a deployed Stepwise API instead (SigV4 from the AWS credential chain)
  --no-wait                    with a server or --api: print the deployment and return at once
  --idempotency-key KEY        with a server or --api: a retry with the same key (e.g. your CI run id)
                               gets the same deployment instead of a second one
  --json                       print one JSON summary at the end instead of progress
  -h, --help                   this help

Fault injection, to rehearse a rollback:
  ${injectGrammar(TASK_NAMES)}

With 'npx stepwise serve' running (or --api URL), the deployment goes through the API: the
service's registered strategy and plan unless --strategy/--plan/--steps override them; the
simulation flags above then belong to serve.

Exit code: 0 succeeded, 2 rolled back, 1 anything else (including a bad flag: nothing runs).
Example: npx stepwise deploy --service checkout --image shop:1.1 --inject errors=8%`;

const options = {
  service: { type: 'string' },
  image: { type: 'string' },
  strategy: { type: 'string', default: 'canary' },
  steps: { type: 'string' },
  bake: { type: 'string' },
  'error-threshold': { type: 'string' },
  'latency-threshold': { type: 'string' },
  period: { type: 'string' },
  'evaluation-periods': { type: 'string' },
  'datapoints-to-alarm': { type: 'string' },
  'missing-data': { type: 'string' },
  'insufficient-data': { type: 'string' },
  rpm: { type: 'string' },
  digest: { type: 'string' },
  commit: { type: 'string' },
  inject: { type: 'string', multiple: true },
  plan: { type: 'string' },
  approve: { type: 'string' },
  'state-dir': { type: 'string' },
  api: { type: 'string' },
  reason: { type: 'string' },
  'allow-firing-alarms': { type: 'boolean', default: false },
  'no-wait': { type: 'boolean', default: false },
  'idempotency-key': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** An Idempotency-Key as the API takes it: a CI retry of the same step then starts nothing new. */
function checkKey(key: string): string {
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new UsageError(`--idempotency-key must be 1 to 255 visible ASCII characters, got '${key}'`);
  }
  return key;
}

/** Flags that shape the simulation of an in-process run; a server or a deployed API has its own. */
const IN_PROCESS_ONLY = [
  'inject',
  'error-threshold',
  'latency-threshold',
  'period',
  'evaluation-periods',
  'datapoints-to-alarm',
  'missing-data',
  'insufficient-data',
  'rpm',
  'approve',
  'bake',
];

const MISSING_DATA: TreatMissingData[] = ['breaching', 'notBreaching', 'ignore', 'missing'];

/** Reads a plan file: JSON in the schema the service config uses for that strategy. */
function readPlan(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--plan ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--plan ${file} is not JSON: ${(error as Error).message}`);
  }
}

function parseApprove(text: string): ApprovalMode {
  if (text === 'auto' || text === 'deny') return { mode: text };
  const after = /^after=(.+)$/.exec(text);
  if (after?.[1]) {
    const seconds = parseDurationSeconds(after[1], '--approve after');
    if (Number.isInteger(seconds)) return { mode: 'after', seconds };
  }
  throw new UsageError(`--approve must be auto, deny or after=DURATION (e.g. after=2m), got '${text}'`);
}

function checkSteps(weights: number[], text: string): void {
  const increasing = weights.every((w, i) => w >= 1 && w <= 100 && (i === 0 || w > (weights[i - 1] ?? 0)));
  if (!increasing || weights.at(-1) !== 100) {
    throw new UsageError(
      `--steps must be increasing percentages from 1 to 100 that end at 100, got '${text}'`,
    );
  }
}

function positiveInt(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw new UsageError(`--${flag} must be a whole number of 1 or more, got '${text}'`);
  return Number(text);
}

function pattern(value: string, re: string, flag: string, what: string): string {
  if (!new RegExp(re).test(value)) throw new UsageError(`--${flag} ${what}, got '${value}'`);
  return value;
}

/** Turns the flags into run options, or throws a UsageError naming the flag. Nothing has run yet. */
export function parseDeployArgs(argv: string[]):
  | { help: true }
  | {
      help: false;
      json: boolean;
      stateDir?: string;
      api?: string;
      noWait: boolean;
      idempotencyKey?: string;
      reason?: string;
      allowFiringAlarms: boolean;
      /** The flags given: some only shape an in-process run. */
      given: string[];
      run: Omit<LocalDeployOptions, 'onProgress'>;
    } {
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  if (values.help) return { help: true };
  if (!values.service) throw new UsageError('--service is required (the service to deploy)');
  if (!values.image) throw new UsageError('--image is required (the new version to roll out)');
  const props = deploymentRequestSchema.properties;
  const service = pattern(
    values.service,
    props.service.pattern,
    'service',
    'must be lowercase letters, digits and dashes (at most 63)',
  );
  const image = pattern(
    values.image,
    props.artifact.properties.image.pattern,
    'image',
    'must be an image reference without spaces',
  );
  if (!isStrategy(values.strategy)) {
    throw new UsageError(
      `--strategy '${values.strategy}' is not known; strategies: ${STRATEGIES.join(', ')}`,
    );
  }
  const strategy = values.strategy;
  if (values.digest)
    pattern(
      values.digest,
      props.artifact.properties.digest.pattern,
      'digest',
      'must look like sha256:<64 hex digits>',
    );
  if (values.commit)
    pattern(values.commit, props.commitSha.pattern, 'commit', 'must be 7 to 40 lowercase hex digits');

  try {
    const bakeSeconds = values.bake ? parseDurationSeconds(values.bake, '--bake') : DEFAULT_BAKE_SECONDS;
    if (!Number.isInteger(bakeSeconds))
      throw new UsageError(`--bake must be whole seconds, got '${values.bake}'`);
    if (bakeSeconds > MAX_BAKE_SECONDS)
      throw new UsageError(`--bake must be at most 24h, got '${values.bake}'`);
    if (values.steps && strategy !== 'canary') {
      throw new UsageError(`--steps is for the canary strategy; give ${strategy} a --plan FILE instead`);
    }
    if (values.steps && values.plan) throw new UsageError('--steps and --plan cannot be used together');
    let plan: unknown;
    if (values.plan) {
      plan = readPlan(values.plan);
    } else if (values.steps) {
      const weights = parseWeights(values.steps, '--steps');
      checkSteps(weights, values.steps);
      plan = { steps: weights.map((weight) => ({ weight, bakeSeconds })) };
    } else {
      plan = defaultStrategyPlan(strategy, bakeSeconds);
    }
    try {
      expandPlan(strategy, plan);
    } catch (error) {
      const where = values.plan ? `--plan ${values.plan}` : '--steps';
      throw new UsageError(`${where}: ${(error as Error).message}`);
    }
    const approve = values.approve === undefined ? undefined : parseApprove(values.approve);

    const errorThreshold = values['error-threshold'];
    const errorMatch = errorThreshold === undefined ? undefined : /^(\d+(?:\.\d+)?)%?$/.exec(errorThreshold);
    if (errorThreshold !== undefined && (!errorMatch || Number(errorMatch[1]) > 100)) {
      throw new UsageError(`--error-threshold must be a percentage like 5%, got '${errorThreshold}'`);
    }
    const missing = (values['missing-data'] ?? DEFAULT_ALARMS.treatMissingData) as TreatMissingData;
    if (!MISSING_DATA.includes(missing)) {
      throw new UsageError(`--missing-data must be one of ${MISSING_DATA.join(', ')}, got '${missing}'`);
    }
    const insufficient = (values['insufficient-data'] ?? 'healthy') as InsufficientDataPolicy;
    if (insufficient !== 'healthy' && insufficient !== 'unhealthy') {
      throw new UsageError(`--insufficient-data must be healthy or unhealthy, got '${insufficient}'`);
    }
    const periodSeconds = values.period
      ? parseDurationSeconds(values.period, '--period')
      : DEFAULT_ALARMS.periodSeconds;
    if (
      !Number.isInteger(periodSeconds) ||
      (periodSeconds !== 10 && periodSeconds !== 30 && periodSeconds % 60 !== 0)
    ) {
      throw new UsageError(
        `--period must be 10s, 30s or a multiple of 60s, as in CloudWatch, got '${values.period}'`,
      );
    }
    const evaluationPeriods = positiveInt(
      values['evaluation-periods'],
      'evaluation-periods',
      DEFAULT_ALARMS.evaluationPeriods,
    );
    const datapointsToAlarm = positiveInt(
      values['datapoints-to-alarm'],
      'datapoints-to-alarm',
      Math.min(DEFAULT_ALARMS.datapointsToAlarm, evaluationPeriods),
    );
    if (datapointsToAlarm > evaluationPeriods) {
      throw new UsageError(
        `--datapoints-to-alarm (${datapointsToAlarm}) cannot exceed --evaluation-periods (${evaluationPeriods})`,
      );
    }
    const alarms: LocalAlarmSettings = {
      errorRatePercent: errorMatch ? Number(errorMatch[1]) : DEFAULT_ALARMS.errorRatePercent,
      latencyMs: values['latency-threshold']
        ? parseDurationSeconds(
            values['latency-threshold'].replace(/^(\d+)$/, '$1ms'),
            '--latency-threshold',
          ) * 1000
        : DEFAULT_ALARMS.latencyMs,
      periodSeconds,
      evaluationPeriods,
      datapointsToAlarm,
      treatMissingData: missing,
    };
    const { username } = userInfo();
    return {
      help: false,
      json: values.json,
      stateDir: values['state-dir'],
      ...(values.api ? { api: values.api } : {}),
      noWait: values['no-wait'],
      ...(values['idempotency-key'] ? { idempotencyKey: checkKey(values['idempotency-key']) } : {}),
      ...(values.reason ? { reason: values.reason } : {}),
      allowFiringAlarms: values['allow-firing-alarms'],
      given: argv.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0] ?? a),
      run: {
        service,
        image,
        ...(values.digest ? { digest: values.digest } : {}),
        ...(values.commit ? { commitSha: values.commit } : {}),
        strategy,
        plan,
        ...(approve ? { approve } : {}),
        alarms,
        insufficientData: insufficient,
        faults: parseFaults(values.inject ?? [], TASK_NAMES),
        requestsPerMinute: positiveInt(values.rpm, 'rpm', 1000),
        principal: `${username}@${hostname()}`,
        ...(values.reason ? { reason: values.reason } : {}),
        ...(values['allow-firing-alarms'] ? { allowFiringAlarms: true } : {}),
      },
    };
  } catch (error) {
    if (error instanceof InvalidInputError) throw new UsageError(error.message);
    throw error;
  }
}

const EXIT = { SUCCEEDED: 0, ROLLED_BACK: 2, FAILED: 1 } as const;

/**
 * With a local server running (or --api URL), deploy asks the API for the deployment, as CI would:
 * the service's registered strategy and plan unless --strategy/--plan/--steps override them,
 * then waits for it to end (unless --no-wait) and exits as `wait` does.
 */
async function deployThroughApi(
  api: ApiClient,
  parsed: Extract<ReturnType<typeof parseDeployArgs>, { help: false }>,
  out: (line: string) => void,
): Promise<number> {
  const misplaced = parsed.given.filter((flag) => IN_PROCESS_ONLY.includes(flag));
  if (misplaced.length > 0) {
    throw new UsageError(
      `--${misplaced[0]} shapes an in-process run; ${api.local ? "give it to 'npx stepwise serve' instead" : 'a deployed API uses real traffic and alarms'}`,
    );
  }
  const { run } = parsed;
  const overrides = parsed.given.some((flag) => ['strategy', 'plan', 'steps'].includes(flag))
    ? { strategy: run.strategy, plan: run.plan }
    : {};
  const created = await api.request<DeploymentView>(
    'POST',
    '/deployments',
    {
      service: run.service,
      image: run.image,
      ...(run.digest ? { digest: run.digest } : {}),
      ...(run.commitSha ? { commitSha: run.commitSha } : {}),
      ...overrides,
      ...(parsed.reason ? { reason: parsed.reason } : {}),
      ...(parsed.allowFiringAlarms ? { allowFiringAlarms: true } : {}),
    },
    parsed.idempotencyKey ? { 'Idempotency-Key': parsed.idempotencyKey } : {},
  );
  if (!parsed.json) {
    out(`stepwise · ${created.strategy} rollout of ${run.image} to ${run.service} (${api.url})`);
    viewLines(created).forEach((l) => {
      out(l);
    });
  }
  if (parsed.noWait) {
    if (parsed.json) out(JSON.stringify(created, null, 2));
    return 0;
  }
  return wait(
    [
      created.deploymentId,
      ...(parsed.api ? ['--api', parsed.api] : []),
      ...(parsed.stateDir ? ['--state-dir', parsed.stateDir] : []),
      ...(parsed.json ? ['--json'] : []),
    ],
    out,
  );
}

export async function deploy(argv: string[], out: (line: string) => void): Promise<number> {
  const parsed = parseDeployArgs(argv);
  if (parsed.help) {
    out(DEPLOY_HELP);
    return 0;
  }
  const { run, json } = parsed;
  const api = connect({ api: parsed.api, stateDir: parsed.stateDir });
  if (api) return deployThroughApi(api, parsed, out);
  const runtime = await openRuntime(parsed.stateDir);
  try {
    if (!json)
      out(
        `stepwise · ${run.strategy} rollout of ${run.image} to ${run.service} (local: dynalite + simulated fleet)`,
      );
    const report = await runtime.deploy({
      ...run,
      onProgress: json
        ? undefined
        : (event) =>
            progressLines(event, run.image).forEach((l) => {
              out(l);
            }),
    });
    if (json) out(JSON.stringify(report, null, 2));
    else
      summaryLines(report).forEach((l) => {
        out(l);
      });
    return EXIT[report.status];
  } finally {
    await runtime.close();
  }
}
