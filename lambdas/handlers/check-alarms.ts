import type { Logger } from '@aws-lambda-powertools/logger';
import { auditEvent } from '../domain/events.ts';
import { type Judgment, judge } from '../domain/judge/analysis.ts';
import { bakeExtensionFor, extensionSoFar } from '../domain/judge/extension.ts';
import {
  latencyQuantiles,
  lookWindow,
  referenceOf,
  referenceWindow,
  thresholdsOf,
  withLook,
} from '../domain/judge/looks.ts';
import type { HealthCheck, Progress, TaskState } from '../domain/types.ts';
import { judgeHealth, lastVerdictOf } from '../domain/verdict.ts';
import { taskHandler } from '../middleware/task-handler.ts';
import type { TaskDeps } from './deps.ts';
import { nextStepOf } from './next-step.ts';
import { parseTaskState } from './state.ts';

/**
 * The baseline comparison at this look: both versions' metrics since traffic last moved (and, the
 * first time, the baseline's latency before the deployment), added to the looks so far and judged.
 * Undefined when the service has no analysis, before any traffic moved, or when its provider
 * said nothing of per-version metrics (Prepare candidate asks it).
 */
async function compare(
  deps: Pick<TaskDeps, 'alarms' | 'clock' | 'metrics' | 'store'>,
  state: TaskState,
  now: Date,
): Promise<{ judgment: Judgment; analysis: NonNullable<Progress['analysis']> } | undefined> {
  const { deployment, progress } = state;
  const analysis = deployment.analysis;
  const specs = progress.versionMetrics;
  if (!analysis || !specs || progress.trafficStep === 0 || !deps.metrics) return undefined;
  const quantiles = latencyQuantiles(analysis);
  const reference =
    progress.analysis?.reference ??
    referenceOf(
      await deps.metrics.read(specs.baseline, referenceWindow(analysis, deployment), {
        quantiles,
        thresholds: {},
      }),
    );
  const thresholds = thresholdsOf(reference);
  const window = lookWindow(progress, deployment, now);
  const [candidate, baseline] = await Promise.all([
    deps.metrics.read(specs.candidate, window, { quantiles, thresholds }),
    deps.metrics.read(specs.baseline, window, { quantiles, thresholds }),
  ]);
  const looks = withLook(progress.analysis?.looks ?? [], {
    step: progress.trafficStep,
    from: window.start.toISOString(),
    to: window.end.toISOString(),
    candidate,
    baseline,
  });
  return { judgment: judge(analysis, looks, reference), analysis: { looks, reference } };
}

/**
 * Check alarms: judge the step from the service's alarms over the bake and, when the service has
 * an analysis, from both versions' metrics against each other; record the verdict with its
 * evidence. Unhealthy, it returns the verdict (`check`) for Which step? to roll back. Healthy, it
 * moves on as Next step would: to the next step, a longer bake for requests, or a hold for an
 * inconclusive comparison; the verdict stays readable as `checked`. A bake's timeout comes here
 * straight from the Bake, so a pause is moved past first; a step after it that is not a check is
 * returned for Which step? to route.
 */
export function makeCheckAlarmsHandler(
  deps: Pick<TaskDeps, 'alarms' | 'clock' | 'metrics' | 'store'>,
  logger?: Logger,
) {
  return taskHandler(
    { name: 'check-alarms', parse: parseTaskState, logger },
    async (input): Promise<TaskState> => {
      // A bake that went its whole way comes here at once (its timeout's Catch): move past it first.
      const state = input.progress.step?.kind === 'pause' ? await nextStepOf(deps, input) : input;
      const step = state.progress.step;
      if (step?.kind !== 'check') return state;
      const { deployment, progress } = state;
      const now = deps.clock.now();
      const since = new Date(progress.stepStartedAt ?? deployment.startedAt);
      const excused = new Set(deployment.alarmsFiringAtStart ?? []);
      const gating = deployment.alarms.filter((name) => !excused.has(name));
      const own = progress.comparisonAlarms ?? [];
      const observations = await deps.alarms.observe([...gating, ...own], since);
      const service = judgeHealth(
        observations.filter((o) => !own.includes(o.name)),
        deployment.insufficientData,
        now,
      );
      // The deployment's own comparison alarm counts when it fired; it has no data before the
      // candidate has traffic, which says nothing (the comparison below judges silence).
      const tripwire = judgeHealth(
        observations.filter((o) => own.includes(o.name) && o.state !== 'INSUFFICIENT_DATA'),
        'healthy',
        now,
      );
      const judged = {
        ...service,
        healthy: service.healthy && tripwire.healthy,
        alarms: observations,
        reasons: [
          ...service.reasons,
          ...tripwire.reasons.filter((r) => !r.startsWith('no alarms are configured')),
        ],
      };
      const compared = await compare(deps, state, now);
      const soFar = extensionSoFar(progress);
      // A comparison exists only for a deployment with an analysis.
      const extendBakeSeconds =
        compared && judged.healthy && deployment.analysis
          ? bakeExtensionFor(compared.judgment, deployment.analysis, compared.analysis.looks.at(-1), soFar)
          : undefined;
      const reasons = [
        // The comparison (or the alarms left out) is what checks a step without alarms of its own.
        ...judged.reasons.filter(
          (r) => !((excused.size > 0 || compared) && r.startsWith('no alarms are configured')),
        ),
        ...(excused.size > 0
          ? [`left out, firing before the deployment started (allowed): ${[...excused].join(', ')}`]
          : []),
        ...(compared?.judgment.reasons ?? []),
        ...(extendBakeSeconds ? [`the bake goes on ${extendBakeSeconds}s more for requests`] : []),
      ];
      const check: HealthCheck = {
        ...judged,
        healthy: judged.healthy && compared?.judgment.verdict !== 'fail',
        reasons,
        ...(compared ? { analysis: compared.judgment } : {}),
        ...(extendBakeSeconds ? { extendBakeSeconds } : {}),
      };
      const recorded = await deps.store.appendAuditEvent(
        deployment.deploymentId,
        // A check after a bake made longer is a check of its own.
        auditEvent(
          deployment,
          'HealthChecked',
          `step-${progress.stepIndex + 1}#checked${soFar ? `-${soFar.rounds}` : ''}`,
          now,
          {
            detail: {
              step: progress.trafficStep,
              healthy: check.healthy,
              alarms: observations,
              reasons: check.reasons,
              ...(extendBakeSeconds ? { extendBakeSeconds } : {}),
              ...(compared
                ? {
                    analysis: {
                      verdict: compared.judgment.verdict,
                      candidateRequests: compared.judgment.candidateRequests,
                      metrics: compared.judgment.metrics,
                    },
                  }
                : {}),
            },
          },
        ),
      );
      // Whoever shows the deployment reads its last verdict here, not from the trail.
      await deps.store.updateDeployment(deployment.deploymentId, { lastVerdict: lastVerdictOf(recorded) });
      const verdict: TaskState = {
        ...state,
        check,
        ...(compared ? { progress: { ...progress, analysis: compared.analysis } } : {}),
      };
      // Unhealthy: Which step? rolls back. Healthy: on to the next step, here (the step loop, ADR 5).
      if (!check.healthy) return verdict;
      return { ...(await nextStepOf(deps, verdict)), ran: [step], checked: check };
    },
  );
}
