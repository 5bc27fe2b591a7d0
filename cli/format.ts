import type { MetricEvidence } from '../lambdas/domain/judge/analysis.ts';
import { describeStep, type Step } from '../lambdas/domain/steps.ts';
import type { AuditEvent, DeploymentSummary, Weights } from '../lambdas/domain/types.ts';
import type { DeploymentReport, ProgressEvent } from '../local/report.ts';

/** Seconds as a person writes them, and as every duration flag reads them back: `500ms`, `90s`, `5m`, `1h`. */
export function formatDuration(seconds: number): string {
  if (seconds > 0 && seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds % 3600 === 0 && seconds > 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0 && seconds > 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** The plan in one line: `10% → bake 5m → check → 25% → …`. */
export function formatPlan(steps: Step[]): string {
  return steps
    .map((s) => {
      switch (s.kind) {
        case 'setWeight':
          return s.label ? `${s.label} ${s.weight}%` : `${s.weight}%`;
        case 'pause':
          return `${s.label ?? 'pause'} ${formatDuration(s.seconds)}`;
        case 'check':
          return 'check';
        default:
          return describeStep(s);
      }
    })
    .join(' → ');
}

/** `shop:1.1 25% · shop:1.0 75%`, the candidate first. */
export function formatWeights(weights: Weights, candidate: string): string {
  return Object.entries({ [candidate]: 0, ...weights })
    .sort(([a], [b]) => (a === candidate ? -1 : b === candidate ? 1 : 0))
    .map(([version, percent]) => `${version} ${percent}%`)
    .join(' · ');
}

const INDENT = '            ';

const MARK: Record<MetricEvidence['decision'], string> = { pass: '', fail: ' ✗', inconclusive: ' ?' };

/** The baseline comparison in one line: `vs stable: errors 0.21% / 0.19% · p95 131 / 132 ms · 512 requests`. */
export function formatEvidence(metrics: MetricEvidence[], candidateRequests: number): string {
  const parts = metrics.map((m) => {
    if (m.metric === 'errorRate') {
      const rate = (v: number | undefined) => `${(v ?? 0).toFixed(2)}%`;
      return `errors ${rate(m.candidate.ratePercent)} / ${rate(m.baseline.ratePercent)}${MARK[m.decision]}`;
    }
    const c = m.candidate[`${m.metric}Ms`];
    const b = m.baseline[`${m.metric}Ms`];
    const ms = (v: number | undefined) => (v === undefined ? '–' : `${Math.round(v)}`);
    return `${m.metric} ${ms(c)} / ${ms(b)} ms${MARK[m.decision]}`;
  });
  return `candidate / stable: ${parts.join(' · ')} · ${Math.round(candidateRequests)} candidate requests`;
}

/** One or two lines per progress event, for a person watching the terminal. */
export function progressLines(event: ProgressEvent, candidate: string): string[] {
  switch (event.kind) {
    case 'started':
      return [
        `  deployment  ${event.deploymentId}`,
        `  stable      ${event.stableVersion}`,
        `  plan        ${formatPlan(event.steps)}`,
        ...(event.bakesExtendedTo
          ? [
              `              bakes before a check made ${formatDuration(event.bakesExtendedTo)}: the alarms need that long to see the new version`,
            ]
          : []),
        '',
      ];
    case 'shifted':
      return [
        `  step ${event.step}${event.label ? ` (${event.label})` : ''}  ${formatWeights(event.weights, candidate)}`,
      ];
    case 'segment':
      return [`  step ${event.step}  ${event.description}: matching requests → ${candidate}`];
    case 'stopped':
      return [`  stopped ${event.version}: downtime begins`];
    case 'started-version':
      return [
        `  step ${event.step}  started ${event.version} with all traffic: downtime ${event.downtimeSeconds}s`,
      ];
    case 'paused':
      return [`${INDENT}${event.label} ${formatDuration(event.seconds)}`];
    case 'checked': {
      const alarms = event.alarms.map((a) => `${a.name} ${a.state}`).join(' · ') || 'no alarms';
      const held = event.healthy && event.analysis?.verdict === 'inconclusive' && !event.extendBakeSeconds;
      const verdict = event.extendBakeSeconds
        ? '… too few requests yet'
        : held
          ? '? inconclusive'
          : event.healthy
            ? '✓ healthy  '
            : '✗ unhealthy';
      const lines = [`${INDENT}${verdict} ${alarms}`];
      if (event.analysis)
        lines.push(`${INDENT}  ${formatEvidence(event.analysis.metrics, event.analysis.candidateRequests)}`);
      if (!event.healthy || held || event.extendBakeSeconds)
        lines.push(...event.reasons.map((r) => `${INDENT}  ${r}`));
      if (held)
        lines.push(
          `${INDENT}  held for a person's decision, as an approval (stepwise approve ID, or --approve here)`,
        );
      return lines;
    }
    case 'hook':
      return [
        `${INDENT}${event.passed ? '✓' : '✗'} ${event.phase} hook (attempt ${event.attempt}): ${event.detail}`,
      ];
    case 'approval':
      return [
        `${INDENT}${event.verdict === 'approved' ? '✓' : '✗'} approval ${event.verdict}${event.by ? ` by ${event.by}` : ''}`,
      ];
    case 'failed-task':
      return [`  ! ${event.state} failed: ${event.error}`];
    case 'alarm-fired':
      return [
        `${INDENT}✗ ${event.cause}${event.afterSeconds !== undefined ? ` (${formatDuration(event.afterSeconds)} into the step)` : ''}`,
        `${INDENT}  the bake ends here: rolling back now`,
      ];
    case 'retrying':
      return [`  ↻ retrying ${event.state}`];
    case 'promoted':
      return [`  ⇒ promoted: ${formatWeights(event.weights, candidate)}`];
    case 'rolled-back':
      return [
        `  ↩ rolled back: ${formatWeights(event.weights, candidate)}${event.timing ? ` (${formatTiming(event.timing)})` : ''}`,
      ];
    case 'concluded':
      return [`  ■ ${event.reason}`];
    case 'ring':
      return progressLines(event.event, candidate)
        .filter((line) => line.trim() !== '')
        .map((line) => `  │ ${event.name.padEnd(10)}${line}`);
    case 'ring-ended':
      return [
        `  ring ${event.name} (${event.service}): ${event.status}${event.reason ? ` — ${event.reason}` : ''}`,
      ];
  }
}

const VERB: Record<DeploymentReport['status'], string> = {
  SUCCEEDED: 'SUCCEEDED',
  ROLLED_BACK: 'ROLLED BACK',
  FAILED: 'FAILED',
};

export function summaryLines(report: DeploymentReport): string[] {
  const live = Object.entries(report.finalWeights).find(([, w]) => w === 100)?.[0];
  const where = report.rings
    ? report.rings.map((r) => `${r.service} on ${r.liveVersion}`).join(', ')
    : live
      ? `${report.service} is on ${live} (100%)`
      : `traffic is split: ${JSON.stringify(report.finalWeights)}`;
  const chain = report.auditChainIntact ? 'hash chain intact' : 'HASH CHAIN BROKEN';
  const lines = [
    '',
    `${VERB[report.status]}  ${where}`,
    `  ${report.auditEvents} audit events (${chain}) · ${report.stateTransitions} state transitions · ${report.taskInvocations} task invocations · ${report.simulatedSeconds} s simulated in ${(report.wallMs / 1000).toFixed(1)} s`,
  ];
  if (report.downtimeSeconds !== undefined) lines.push(`  downtime: ${report.downtimeSeconds}s`);
  if (report.reason && (report.status !== 'SUCCEEDED' || !live?.includes(report.candidateVersion))) {
    lines.push(`  ${report.status === 'SUCCEEDED' ? 'outcome' : 'reason'}: ${report.reason}`);
  }
  for (const action of report.reconciled) lines.push(`  reconciled: ${action}`);
  for (const { inject } of report.injections.filter((i) => !i.fired)) {
    lines.push(`  ! --inject ${inject} never took effect in this run: it tested nothing`);
  }
  lines.push(`  audit trail: npx stepwise audit ${report.deploymentId}`);
  return lines;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

/** A summary from the local store, or a deployment as the API shows it. */
type HistoryRow = Pick<
  DeploymentSummary,
  | 'deploymentId'
  | 'startedAt'
  | 'status'
  | 'stableVersion'
  | 'candidateVersion'
  | 'currentStep'
  | 'stepCount'
  | 'reason'
>;

export function historyLines(service: string, deployments: HistoryRow[]): string[] {
  if (deployments.length === 0) return [`no deployments of ${service} yet`];
  return table([
    ['DEPLOYMENT', 'STARTED', 'STATUS', 'FROM', 'TO', 'STEP', 'REASON'],
    ...deployments.map((d) => [
      d.deploymentId,
      d.startedAt.replace('T', ' ').slice(0, 19),
      d.status,
      d.stableVersion,
      d.candidateVersion,
      `${d.currentStep}/${d.stepCount}`,
      d.reason ?? '',
    ]),
  ]);
}

/** How fast a rollback was, in words: `detected 70s after traffic moved, traffic back 2s later`. */
function formatTiming(timing: { detectedAfterSeconds: number; revertedAfterSeconds: number }): string {
  return `detected ${formatDuration(timing.detectedAfterSeconds)} after traffic moved, traffic back ${formatDuration(timing.revertedAfterSeconds)} later`;
}

function describeEvent(event: AuditEvent): string {
  const d = (event.detail ?? {}) as Record<string, unknown>;
  switch (event.type) {
    case 'TrafficShifted':
      return `step ${d.step}: ${formatWeights(d.weights as Weights, event.version)}`;
    case 'HealthChecked': {
      const analysis = d.analysis as
        | { verdict: string; metrics: MetricEvidence[]; candidateRequests: number }
        | undefined;
      const verdict = !d.healthy
        ? 'unhealthy'
        : d.extendBakeSeconds
          ? 'too few requests yet'
          : analysis?.verdict === 'inconclusive'
            ? 'inconclusive, held'
            : 'healthy';
      const reasons = (d.reasons as string[] | undefined) ?? [];
      return `step ${d.step}: ${verdict}${reasons.length ? ` (${reasons.join('; ')})` : ''}${
        analysis ? ` · ${formatEvidence(analysis.metrics, analysis.candidateRequests)}` : ''
      }`;
    }
    case 'RolledBack': {
      const timing = d.timing as Parameters<typeof formatTiming>[0] | undefined;
      return `${d.reason ?? ''}${timing ? ` · ${formatTiming(timing)}` : ''}`;
    }
    case 'DeploymentRolledBack':
      return `${d.reason ?? ''}`;
    case 'DeploymentStarted': {
      const extended = d.bakesExtended as { toSeconds: number } | undefined;
      return `${d.strategy} from ${d.stableVersion}, ${d.steps} steps${
        extended
          ? `; bakes before a check made ${formatDuration(extended.toSeconds)}, the alarms' window`
          : ''
      }`;
    }
    default:
      return d.weights ? formatWeights(d.weights as Weights, event.version) : '';
  }
}

export function auditLines(
  deploymentId: string,
  events: AuditEvent[],
  chain: { intact: boolean; brokenAt?: number; problem?: string },
): string[] {
  if (events.length === 0) return [`no audit trail for ${deploymentId}`];
  const first = events[0] as AuditEvent;
  const verdict = chain.intact
    ? 'hash chain intact'
    : `HASH CHAIN BROKEN at event ${chain.brokenAt}: ${chain.problem}`;
  return [
    `audit trail of ${deploymentId} · ${first.service} (${first.environment}) · ${first.version} · ${events.length} events · ${verdict}`,
    `triggered by ${first.trigger.source}:${first.trigger.principal}${first.commitSha ? ` · commit ${first.commitSha}` : ''}`,
    ...table(
      events.map((e) => [
        `#${e.seq}`,
        e.at.replace('T', ' ').slice(0, 19),
        e.type,
        e.status,
        e.rollback ? 'rollback' : '',
        describeEvent(e),
      ]),
    ),
  ];
}
