import type { DeploymentView } from '../lambdas/control/operations.ts';
import type { MetricEvidence } from '../lambdas/domain/judge/analysis.ts';
import type { AuditEvent, Weights } from '../lambdas/domain/types.ts';
import { BASELINE_VERSION } from '../lambdas/handlers/start-deployment.ts';
import type { DeploymentReport, PhaseReport, RingReport, StepReport } from '../local/report.ts';
import type { StopCause } from './errors.ts';

/**
 * What `deploy --json` prints, in-process or through a server or --api: the same keys either
 * way, `null` where that way cannot tell (docs/cli.md describes each).
 */
export interface DeployResult {
  deploymentId: string;
  /** SUCCEEDED, ROLLED_BACK, FAILED, CANCELLED; QUEUED or IN_PROGRESS when the CLI did not wait it out. */
  status: string;
  strategy: string;
  service: string;
  stableVersion: string;
  candidateVersion: string;
  fromBaseline: boolean;
  steps: StepReport[];
  phases: PhaseReport[] | null;
  finalWeights: Weights;
  downtimeSeconds: number | null;
  rings: RingReport[] | null;
  reason: string | null;
  error: string | null;
  /** What the reconciler did once the execution ended (in-process); null through an API. */
  reconciled: string[] | null;
  /** Each `--inject` of an in-process run and whether it ever took effect; null through an API. */
  injections: { inject: string; fired: boolean }[] | null;
  auditEvents: number;
  auditChainIntact: boolean;
  stateTransitions: number | null;
  /** Lambda invocations of the task functions, retries included; null through an API. */
  taskInvocations: number | null;
  simulatedSeconds: number | null;
  wallMs: number;
  /** `in-process`, or the URL of the API it went through. */
  via: string;
  /** Set when the CLI was stopped (Ctrl-C, SIGTERM, its output closed) before the deployment ended. */
  stopped: StopCause | null;
}

/** An in-process run's report in the shared shape. */
export function resultOfReport(report: DeploymentReport, stopped: StopCause | null): DeployResult {
  return {
    deploymentId: report.deploymentId,
    status: report.status,
    strategy: report.strategy,
    service: report.service,
    stableVersion: report.stableVersion,
    candidateVersion: report.candidateVersion,
    fromBaseline: report.fromBaseline,
    steps: report.steps,
    phases: report.phases,
    finalWeights: report.finalWeights,
    downtimeSeconds: report.downtimeSeconds ?? null,
    rings: report.rings ?? null,
    reason: report.reason ?? null,
    error: report.error ?? null,
    reconciled: report.reconciled,
    injections: report.injections,
    auditEvents: report.auditEvents,
    auditChainIntact: report.auditChainIntact,
    stateTransitions: report.stateTransitions,
    taskInvocations: report.taskInvocations,
    simulatedSeconds: report.simulatedSeconds,
    wallMs: report.wallMs,
    via: 'in-process',
    stopped,
  };
}

/** The traffic steps of a deployment as its audit trail records them, each with its health check. */
export function stepsOfTrail(events: AuditEvent[]): StepReport[] {
  const steps: StepReport[] = [];
  let weights: Weights = {};
  for (const event of events) {
    const d = (event.detail ?? {}) as Record<string, unknown>;
    const step = d.step as number;
    if (event.type === 'TrafficShifted' || event.type === 'VersionStarted') {
      weights = d.weights as Weights;
      const weight = event.type === 'VersionStarted' ? 100 : (d.weight as number);
      steps.push({ step, weight, weights, verdict: 'not checked', alarms: {}, reasons: [] });
    } else if (event.type === 'SegmentRouted') {
      steps.push({ step, weight: 0, weights, verdict: 'not checked', alarms: {}, reasons: [] });
    } else if (event.type === 'HealthChecked') {
      const checked = steps.findLast((s) => s.step === step);
      if (!checked) continue;
      const analysis = d.analysis as { verdict?: string; metrics?: MetricEvidence[] } | undefined;
      const held = d.healthy && analysis?.verdict === 'inconclusive' && !d.extendBakeSeconds;
      checked.verdict = held ? 'inconclusive' : d.healthy ? 'healthy' : 'unhealthy';
      checked.alarms = Object.fromEntries(
        ((d.alarms as { name: string; state: string }[] | undefined) ?? []).map((a) => [a.name, a.state]),
      );
      checked.reasons = (d.reasons as string[] | undefined) ?? [];
      if (analysis?.metrics) checked.evidence = analysis.metrics;
    }
  }
  return steps;
}

/** A deployment as an API shows it, with its audit trail, in the shared shape. */
export function resultOfView(
  view: DeploymentView,
  trail: { events: AuditEvent[]; chain: { intact: boolean } },
  via: string,
  wallMs: number,
): DeployResult {
  const started = trail.events.findLast((e) => e.type === 'VersionStarted');
  return {
    deploymentId: view.deploymentId,
    status: view.status,
    strategy: view.strategy,
    service: view.service,
    stableVersion: view.stableVersion,
    candidateVersion: view.candidateVersion,
    fromBaseline: view.stableVersion === BASELINE_VERSION,
    steps: stepsOfTrail(trail.events),
    phases: null,
    finalWeights: view.weights,
    downtimeSeconds: (started?.detail?.downtimeSeconds as number | undefined) ?? null,
    rings: null,
    reason: view.reason ?? null,
    error: null,
    reconciled: null,
    injections: null,
    auditEvents: trail.events.length,
    auditChainIntact: trail.chain.intact,
    stateTransitions: null,
    taskInvocations: null,
    simulatedSeconds: null,
    wallMs,
    via,
    stopped: null,
  };
}
