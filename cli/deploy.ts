import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import type { DeploymentView } from '../lambdas/control/operations.ts';
import type { verifyChain } from '../lambdas/domain/audit.ts';
import { InvalidInputError } from '../lambdas/domain/errors.ts';
import {
  DEFAULT_BAKE_SECONDS,
  DEFAULT_WEIGHTS,
  MAX_BAKE_SECONDS,
  parseWeights,
} from '../lambdas/domain/plan.ts';
import { checkCandidate } from '../lambdas/domain/requests.ts';
import { deploymentRequestSchema, refuseHiddenText } from '../lambdas/domain/schemas.ts';
import {
  defaultStrategyPlan,
  expandPlan,
  STRATEGIES,
  type StrategyName,
} from '../lambdas/domain/strategies/index.ts';
import type { AuditEvent } from '../lambdas/domain/types.ts';
import type { ApprovalMode } from '../local/approvals.ts';
import { TASK_NAMES } from '../local/fault-injection.ts';
import { injectGrammar, parseFaults } from '../local/faults.ts';
import type { DeploymentReport } from '../local/report.ts';
import { DEFAULT_ALARMS, type LocalDeployOptions } from '../local/runtime.ts';
import type { TreatMissingData } from '../local/simulated-cloudwatch.ts';
import { API_OPTIONS, type ApiClient, connectWith } from './api-client.ts';
import { EXIT_BY_STATUS, viewLines, waitFor } from './control.ts';
import { resultOfReport, resultOfView } from './deploy-result.ts';
import { StoppedError, UsageError } from './errors.ts';
import { formatDuration, progressLines, summaryLines } from './format.ts';
import type { Io } from './io.ts';
import { command, HELP_OPTION, type Parsed, parseDuration } from './options.ts';
import { openRuntime } from './state-dir.ts';

const MISSING_DATA: readonly TreatMissingData[] = ['breaching', 'notBreaching', 'ignore', 'missing'];

const OPTIONS = {
  service: {
    kind: 'text',
    arg: 'NAME',
    help: 'service to deploy (lowercase letters, digits, dashes; required)',
  },
  image: {
    kind: 'text',
    arg: 'IMAGE',
    help: 'the new version, e.g. shop:1.1 or an ECR image URI (required)',
  },
  strategy: { kind: 'choice', arg: 'NAME', choices: STRATEGIES, default: 'canary', help: 'rollout strategy' },
  plan: {
    kind: 'text',
    arg: 'FILE',
    help: "the strategy's plan as JSON, in the schema the service config uses",
  },
  steps: {
    kind: 'text',
    arg: 'LIST',
    help: `canary shorthand: candidate weights in percent, increasing, ending at 100 (default ${DEFAULT_WEIGHTS.join(',')})`,
  },
  bake: {
    kind: 'duration',
    default: DEFAULT_BAKE_SECONDS,
    max: MAX_BAKE_SECONDS,
    help: 'soak time of each step in the default plans, at most 24h',
  },
  approve: {
    kind: 'text',
    arg: 'HOW',
    help: "auto | deny | after=DURATION: decide the plan's approval gates that way, or, if it has none, add one before the first production traffic; without it the plan's gates wait out their timeout",
  },
  'error-threshold': {
    kind: 'text',
    arg: 'PERCENT',
    help: `alarm when the new version's error rate exceeds it (default ${DEFAULT_ALARMS.errorRatePercent}%)`,
  },
  'latency-threshold': {
    kind: 'duration',
    default: DEFAULT_ALARMS.latencyMs / 1000,
    wholeSeconds: false,
    bareUnit: 'ms',
    help: 'alarm when its p99 latency exceeds it; a bare number is milliseconds',
  },
  period: {
    kind: 'duration',
    default: DEFAULT_ALARMS.periodSeconds,
    help: 'alarm period: 10s, 30s or a multiple of 60s, as in CloudWatch',
  },
  'evaluation-periods': {
    kind: 'count',
    arg: 'N',
    min: 1,
    default: DEFAULT_ALARMS.evaluationPeriods,
    help: 'periods each alarm evaluates',
  },
  'datapoints-to-alarm': {
    kind: 'count',
    arg: 'M',
    min: 1,
    default: DEFAULT_ALARMS.datapointsToAlarm,
    help: 'breaching periods out of N that make ALARM',
  },
  'missing-data': {
    kind: 'choice',
    choices: MISSING_DATA,
    default: DEFAULT_ALARMS.treatMissingData,
    help: 'how an alarm treats a period without data',
  },
  'insufficient-data': {
    kind: 'choice',
    choices: ['healthy', 'unhealthy'],
    default: 'healthy',
    help: 'what an alarm in INSUFFICIENT_DATA means for the verdict',
  },
  rpm: {
    kind: 'count',
    arg: 'N',
    min: 1,
    default: 1000,
    help: 'simulated requests per minute across the service',
  },
  analysis: {
    kind: 'choice',
    choices: ['on', 'off'],
    default: 'on',
    help: "judge each step against the stable version's metrics too (the default criteria), or by the alarms alone",
  },
  seed: {
    kind: 'count',
    arg: 'N',
    min: 1,
    max: 4_294_967_295,
    default: 1,
    help: 'seeds the simulated per-version metrics: the same seed, the same run',
  },
  inject: {
    kind: 'text',
    arg: 'KIND=VALUE[@WHERE]',
    multiple: true,
    help: 'a fault to rehearse a rollback with; grammar below',
  },
  digest: { kind: 'text', arg: 'sha256:…', help: 'image digest, recorded in the audit trail' },
  commit: { kind: 'text', arg: 'SHA', help: 'commit the image was built from, recorded in the audit trail' },
  reason: { kind: 'text', arg: 'TEXT', help: 'why, for the audit trail' },
  'allow-firing-alarms': {
    kind: 'flag',
    help: 'go ahead although an alarm is already in ALARM (shipping a fix); audited',
  },
  ...API_OPTIONS,
  'no-wait': { kind: 'flag', help: 'with a server or --api: print the deployment and return at once' },
  timeout: {
    kind: 'duration',
    default: 3600,
    max: 7 * 86_400,
    help: 'with a server or --api: stop waiting after this long, exit 1 (the deployment goes on)',
  },
  'idempotency-key': {
    kind: 'text',
    arg: 'KEY',
    help: 'with a server or --api: a retry with the same key (e.g. your CI run id) gets the same deployment instead of a second one',
  },
  json: { kind: 'flag', help: 'print one JSON result at the end instead of progress (docs/cli.md)' },
  help: HELP_OPTION,
} as const;

type DeployOptions = typeof OPTIONS;

/** Flags that shape the simulation of an in-process run; a server or a deployed API has its own. */
const IN_PROCESS_ONLY: (keyof DeployOptions)[] = [
  'inject',
  'error-threshold',
  'latency-threshold',
  'period',
  'evaluation-periods',
  'datapoints-to-alarm',
  'missing-data',
  'insufficient-data',
  'rpm',
  'analysis',
  'seed',
  'approve',
  'bake',
];

/** Flags about asking an API; an in-process run has nothing to hand them to. */
const API_ONLY: (keyof DeployOptions)[] = ['no-wait', 'timeout', 'idempotency-key'];

/** An Idempotency-Key as the API takes it: a CI retry of the same step then starts nothing new. */
function checkKey(key: string): string {
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new UsageError(`--idempotency-key must be 1 to 255 visible ASCII characters, got '${key}'`);
  }
  return key;
}

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

/** `--approve`'s value: auto, deny or after=DURATION; the error names the flag and the value. */
export function parseApprove(text: string): ApprovalMode {
  if (text === 'auto' || text === 'deny') return { mode: text };
  const after = /^after=(.*)$/.exec(text);
  if (after) {
    try {
      return { mode: 'after', seconds: parseDuration(after[1] ?? '', '--approve after=DURATION') };
    } catch {
      throw new UsageError(`--approve after= takes a duration like 90s, 5m or 1h, got '${text}'`);
    }
  }
  throw new UsageError(
    `--approve must be auto, deny or after=DURATION (for example after=2m), got '${text}'`,
  );
}

/** Canary weights: each from 1 to 100, increasing, the last 100; the error names the weight. */
function parseSteps(text: string): number[] {
  const weights = parseWeights(text, '--steps');
  weights.forEach((w, i) => {
    if (w < 1 || w > 100) throw new UsageError(`--steps: ${w} must be between 1 and 100 (in '${text}')`);
    const before = weights[i - 1];
    if (before !== undefined && w <= before) {
      throw new UsageError(`--steps: ${w} must be more than the ${before} before it (in '${text}')`);
    }
  });
  if (weights.at(-1) !== 100) throw new UsageError(`--steps must end at 100, got '${text}'`);
  return weights;
}

function pattern(value: string, re: string, flag: string, what: string): string {
  if (!new RegExp(re).test(value)) throw new UsageError(`--${flag} ${what}, got '${value}'`);
  return value;
}

/** The run options the flags describe, or a UsageError naming the flag. Nothing has run yet. */
export function runOptions(values: Parsed<DeployOptions>['values']): Omit<LocalDeployOptions, 'onProgress'> {
  if (!values.service) throw new UsageError('--service is required (the service to deploy)');
  if (!values.image) throw new UsageError('--image is required (the new version to roll out)');
  const props = deploymentRequestSchema.properties;
  const service = pattern(
    values.service,
    props.service.pattern,
    'service',
    'must be lowercase letters, digits and dashes (at most 63)',
  );
  const image = values.image;
  try {
    checkCandidate(image, '--image');
    if (values.reason) refuseHiddenText(values.reason, '--reason');
  } catch (error) {
    if (error instanceof InvalidInputError) throw new UsageError(error.message);
    throw error;
  }
  const strategy: StrategyName = values.strategy;
  if (values.digest)
    pattern(
      values.digest,
      props.artifact.properties.digest.pattern,
      'digest',
      'must look like sha256:<64 hex digits>',
    );
  if (values.commit)
    pattern(values.commit, props.commitSha.pattern, 'commit', 'must be 7 to 40 lowercase hex digits');
  if (values.steps && strategy !== 'canary') {
    throw new UsageError(`--steps is for the canary strategy; give ${strategy} a --plan FILE instead`);
  }
  if (values.steps && values.plan) throw new UsageError('--steps and --plan cannot be used together');
  const bakeSeconds = values.bake;
  let plan: unknown;
  if (values.plan) plan = readPlan(values.plan);
  else if (values.steps)
    plan = { steps: parseSteps(values.steps).map((weight) => ({ weight, bakeSeconds })) };
  else plan = defaultStrategyPlan(strategy, bakeSeconds);
  try {
    expandPlan(strategy, plan);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    throw new UsageError(`${values.plan ? `--plan ${values.plan}` : '--steps'}: ${error.message}`);
  }
  const approve = values.approve === undefined ? undefined : parseApprove(values.approve);

  const errorThreshold = values['error-threshold'];
  const errorMatch = errorThreshold === undefined ? undefined : /^(\d+(?:\.\d+)?)%?$/.exec(errorThreshold);
  if (errorThreshold !== undefined && (!errorMatch || Number(errorMatch[1]) > 100)) {
    throw new UsageError(
      `--error-threshold must be a percentage from 0 to 100 like 5%, got '${errorThreshold}'`,
    );
  }
  const periodSeconds = values.period;
  if (periodSeconds !== 10 && periodSeconds !== 30 && (periodSeconds === 0 || periodSeconds % 60 !== 0)) {
    throw new UsageError(
      `--period must be 10s, 30s or a multiple of 60s, as in CloudWatch, got '${formatDuration(periodSeconds)}'`,
    );
  }
  const evaluationPeriods = values['evaluation-periods'];
  const datapointsToAlarm = values['datapoints-to-alarm'];
  if (datapointsToAlarm > evaluationPeriods) {
    throw new UsageError(
      `--datapoints-to-alarm (${datapointsToAlarm}) cannot exceed --evaluation-periods (${evaluationPeriods})`,
    );
  }
  let faults: LocalDeployOptions['faults'];
  try {
    faults = parseFaults(values.inject, TASK_NAMES);
  } catch (error) {
    if (error instanceof InvalidInputError) throw new UsageError(error.message);
    throw error;
  }
  const { username } = userInfo();
  return {
    service,
    image,
    ...(values.digest ? { digest: values.digest } : {}),
    ...(values.commit ? { commitSha: values.commit } : {}),
    strategy,
    plan,
    ...(approve ? { approve } : {}),
    alarms: {
      errorRatePercent: errorMatch ? Number(errorMatch[1]) : DEFAULT_ALARMS.errorRatePercent,
      latencyMs: Math.round(values['latency-threshold'] * 1000),
      periodSeconds,
      evaluationPeriods,
      datapointsToAlarm,
      treatMissingData: values['missing-data'],
    },
    insufficientData: values['insufficient-data'],
    faults,
    requestsPerMinute: values.rpm,
    ...(values.analysis === 'on' ? { analysis: {} } : {}),
    seed: values.seed,
    principal: `${username}@${hostname()}`,
    ...(values.reason ? { reason: values.reason } : {}),
    ...(values['allow-firing-alarms'] ? { allowFiringAlarms: true } : {}),
  };
}

type AuditAnswer = { events: AuditEvent[]; chain: ReturnType<typeof verifyChain> };

/**
 * With a local server running (or --api URL), deploy asks the API for the deployment, as CI would:
 * the service's registered strategy and plan unless --strategy/--plan/--steps override them,
 * then waits for it to end (unless --no-wait) and exits as `wait` does.
 */
async function deployThroughApi(
  api: ApiClient,
  { values, given }: Parsed<DeployOptions>,
  io: Io,
): Promise<number> {
  const misplaced = IN_PROCESS_ONLY.find((flag) => given.has(flag));
  if (misplaced) {
    throw new UsageError(
      `--${misplaced} shapes an in-process run; ${api.local ? "give it to 'npx stepwise serve' instead" : 'a deployed API uses real traffic and alarms'}`,
    );
  }
  const run = runOptions(values);
  const key = values['idempotency-key'] === undefined ? undefined : checkKey(values['idempotency-key']);
  const overrides = ['strategy', 'plan', 'steps'].some((flag) => given.has(flag as keyof DeployOptions))
    ? { strategy: run.strategy, plan: run.plan }
    : {};
  const wallStart = Date.now();
  const created = await api.request<DeploymentView>(
    'POST',
    '/deployments',
    {
      service: run.service,
      image: run.image,
      ...(run.digest ? { digest: run.digest } : {}),
      ...(run.commitSha ? { commitSha: run.commitSha } : {}),
      ...overrides,
      ...(run.reason ? { reason: run.reason } : {}),
      ...(run.allowFiringAlarms ? { allowFiringAlarms: true } : {}),
    },
    key ? { 'Idempotency-Key': key } : {},
  );
  const id = created.deploymentId;
  if (!values.json) {
    io.out(`stepwise · ${created.strategy} rollout of ${run.image} to ${run.service} (${api.url})`);
    viewLines(created).forEach((l) => {
      io.out(l);
    });
  }
  let view = created;
  if (!values['no-wait']) {
    try {
      view = await waitFor(api, id, Date.now() + values.timeout * 1000);
    } catch (error) {
      if (!(error instanceof StoppedError)) throw error;
      io.err(
        `stepwise deploy: stopped waiting (${error.message}); ${id} goes on: npx stepwise status ${id}${values.api ? ` --api ${values.api}` : ''}`,
      );
      return error.exitCode;
    }
  }
  const ended = EXIT_BY_STATUS[view.status];
  if (values.json) {
    const trail = await api.request<AuditAnswer>('GET', `/deployments/${id}/audit`);
    io.out(JSON.stringify(resultOfView(view, trail, api.url, Date.now() - wallStart), null, 2));
  } else if (!values['no-wait']) {
    viewLines(view).forEach((l) => {
      io.out(l);
    });
    if (ended === undefined) io.out(`  still ${view.status} after ${formatDuration(values.timeout)}`);
  }
  if (values['no-wait']) return 0;
  return ended ?? 1;
}

const EXIT: Record<DeploymentReport['status'], number> = { SUCCEEDED: 0, ROLLED_BACK: 2, FAILED: 1 };

/**
 * Runs the rollout in this process. Ctrl-C, SIGTERM or a closed output stop the run through
 * `signal` (the runtime then ends it and puts the service back in order); the CLI waits for
 * that, says how it ended, and exits with the stop's own code.
 */
async function deployInProcess({ values, given }: Parsed<DeployOptions>, io: Io): Promise<number> {
  const misplaced = API_ONLY.find((flag) => given.has(flag));
  if (misplaced) {
    throw new UsageError(
      `--${misplaced} is for a deployment through a server or --api; none runs here ('npx stepwise serve' starts one)`,
    );
  }
  const run = runOptions(values);
  const runtime = await openRuntime(values['state-dir']);
  const announce = () => {
    const reason = io.signal.reason as StoppedError;
    io.err(
      `stepwise deploy: ${reason.message}: stopping the run and cleaning up (Ctrl-C ${reason.cause === 'SIGINT' ? 'again ' : ''}quits at once, leaving the service locked)`,
    );
  };
  io.signal.addEventListener('abort', announce, { once: true });
  try {
    if (!values.json)
      io.out(
        `stepwise · ${run.strategy} rollout of ${run.image} to ${run.service} (local: dynalite + simulated fleet)`,
      );
    let report: DeploymentReport;
    try {
      report = await runtime.deploy({
        ...run,
        signal: io.signal,
        onProgress: values.json
          ? undefined
          : (event) =>
              progressLines(event, run.image).forEach((l) => {
                io.out(l);
              }),
      });
    } catch (error) {
      if (!io.signal.aborted) throw error;
      const reason = io.signal.reason as StoppedError;
      io.err(
        `stepwise deploy: stopped (${reason.message}) before the run ended: ${(error as Error).message}`,
      );
      return reason.exitCode;
    }
    const stopped = io.signal.aborted ? (io.signal.reason as StoppedError) : undefined;
    if (values.json) io.out(JSON.stringify(resultOfReport(report, stopped?.cause ?? null), null, 2));
    else
      summaryLines(report).forEach((l) => {
        io.out(l);
      });
    if (!stopped) return EXIT[report.status];
    io.err(
      `stepwise deploy: stopped (${stopped.message}); ${report.deploymentId} ended ${report.status}${report.reason ? `: ${report.reason}` : ''}`,
    );
    return stopped.exitCode;
  } finally {
    io.signal.removeEventListener('abort', announce);
    await runtime.close();
  }
}

export const deployCommand = command({
  name: 'deploy',
  usage: '--service NAME --image IMAGE [options]',
  description: `Runs a rollout on the embedded engine: the same statemachines/<strategy>.asl.json and task code as on AWS, with DynamoDB served by dynalite under the state folder, and a simulated fleet and CloudWatch on a virtual clock (a 20-minute plan takes well under a second).

With 'npx stepwise serve' running (or --api URL), the deployment goes through the API instead: the service's registered strategy and plan unless --strategy/--plan/--steps override them; the simulation flags (--bake, --approve, --inject and the alarm settings) then belong to serve.`,
  options: OPTIONS,
  cleansUp: true,
  notes: `Fault injection, to rehearse a rollback:
  ${injectGrammar(TASK_NAMES)}

Exit code: 0 succeeded, 2 rolled back, 1 anything else (including a bad flag: nothing runs);
130 / 143 / 141 when Ctrl-C, SIGTERM or a closed output stopped it (see docs/cli.md).
Example: npx stepwise deploy --service checkout --image shop:1.1 --inject errors=8%`,
  async run(parsed, io) {
    const api = connectWith(parsed.values, io.signal);
    return api ? deployThroughApi(api, parsed, io) : deployInProcess(parsed, io);
  },
});
