import type { BaselineReference, Judgment, Look } from './judge/analysis.ts';
import type { Analysis } from './judge/criteria.ts';
import type { BakeExtensionSoFar } from './judge/extension.ts';
import type { VersionMetricSpecs } from './judge/metric-specs.ts';
import type { Step } from './steps.ts';
import type { StrategyName } from './strategy-names.ts';
import type { ServiceTrigger } from './triggers.ts';

/** Who or what asked for a deployment. */
export interface Trigger {
  /** `cli`, `api`, `ecr-push`, ... */
  source: string;
  /** IAM principal, OS user, or event id. */
  principal: string;
}

/** A strategy's plan after validation and expansion: the steps its state machine walks. */
export interface Plan {
  steps: Step[];
}

/** An approval gate before the first production traffic, asked for by the caller (CLI `--approve`). */
export interface ApprovalGate {
  timeoutSeconds: number;
  onTimeout: 'rollback' | 'continue';
}

export type InsufficientDataPolicy = 'healthy' | 'unhealthy';

/** What the runtime knows about a service (the registry entry). */
export interface ServiceConfig {
  service: string;
  environment: string;
  /** Traffic provider kind; only `simulated` exists so far. */
  provider: string;
  /** The provider's resource identifiers (cluster, listener, function, ...), in its own schema. */
  providerConfig?: Record<string, unknown>;
  /** CloudWatch alarm names whose state gates every step. */
  alarms: string[];
  insufficientData: InsufficientDataPolicy;
  strategy: StrategyName;
  /** The strategy's plan, in the schema of that strategy (see PLAN_SCHEMAS). */
  plan: unknown;
  /** What starts a deployment on an image push. */
  trigger?: ServiceTrigger;
  /** A second deployment while one runs: `queue` it until the first ends (default), or `supersede` the first. */
  concurrency?: ConcurrencyPolicy;
  /** Pre-flight with an alarm already in ALARM: `block` the deployment (default), or `proceed`. */
  firingAlarms?: 'block' | 'proceed';
  /** Hosts (`host`, or `host:port`) the service's HTTP hooks may call; a hook to any other is refused. */
  allowedHosts?: string[];
  /** The baseline comparison every step is judged by, besides the alarms (defaults filled in); absent: alarms only. */
  analysis?: Analysis;
}

export type ConcurrencyPolicy = 'queue' | 'supersede';

/** The execution input: what to deploy, where, and how. */
export interface DeploymentRequest {
  deploymentId: string;
  service: string;
  artifact: { image: string; digest?: string };
  /** Overrides the service's strategy for this deployment only. */
  strategy?: StrategyName;
  /** Overrides the service's plan for this deployment only (in the strategy's schema). */
  plan?: unknown;
  gate?: ApprovalGate;
  trigger: Trigger;
  commitSha?: string;
  /** Why this deployment was asked for, in the caller's words; recorded in the audit trail. */
  reason?: string;
  /** Go ahead although an alarm is already in ALARM (shipping the fix for a burning service); audited with who asked. */
  allowFiringAlarms?: boolean;
}

/** The deployment as the state machine carries it after Prepare: request plus a config snapshot. */
export interface Deployment extends Omit<DeploymentRequest, 'plan'> {
  strategy: StrategyName;
  environment: string;
  provider: string;
  providerConfig?: Record<string, unknown>;
  plan: Plan;
  alarms: string[];
  /**
   * Alarms already in ALARM when it started, allowed by the caller or the config: the deployment
   * ships the fix for them, so they do not gate its steps (every check says they were left out).
   */
  alarmsFiringAtStart?: string[];
  insufficientData: InsufficientDataPolicy;
  /** Set when bakes were made longer, to this many seconds: the alarms' evaluation window (a check must not judge silence). */
  bakesExtendedTo?: number;
  stableVersion: string;
  candidateVersion: string;
  startedAt: string;
  /** False when the plan ends short of full traffic (ab-segment analysis): the stable version stays live. */
  promotes: boolean;
  /** Ring rollouts: roll back the rings that finished when a later one fails, or keep them. */
  ringOnFailure?: 'rollback' | 'keep';
  /** The service's baseline comparison, as it was when the deployment started. */
  analysis?: Analysis;
}

/** A ring that finished: what its child execution deployed, and what to restore if a later ring fails. */
export interface CompletedRing {
  name: string;
  service: string;
  deploymentId: string;
  version: string;
  previousVersion: string;
}

/** Percent of traffic per version, keyed by version name. Integers 0..100 summing to 100. */
export type Weights = Record<string, number>;

/** A task waiting for its provider to settle: since when, how often it asked, what the provider last said. */
export interface Settling {
  since: string;
  polls: number;
  detail?: string;
}

/**
 * A pause baked through watching the alarms: what the _Bake_ state writes to the table with its
 * task token (strings where DynamoDB's JSON wants them), and its timeout.
 */
export interface Bake {
  /** The task's TimeoutSecondsPath: whole seconds, at least 1. */
  seconds: number;
  /** When the bake ends (ISO 8601). */
  until: string;
  /** The alarms watched, as JSON (the state machine writes it as one string attribute). */
  alarms: string;
  /** The record's TTL (epoch seconds, as a string: a DynamoDB number). */
  expiresAt: string;
}

export interface Progress {
  /** Index of the current step in `plan.steps`; -1 before the first. */
  stepIndex: number;
  stepCount: number;
  /** The current step; `done` past the last one (or on promote-now); `abort` when an abort was asked for. */
  step?: Step | { kind: 'done'; promotedBy?: string } | { kind: 'abort'; by: string };
  /** How many steps that move traffic have run (what reports call "step N"). */
  trafficStep: number;
  weights: Weights;
  /** When traffic last moved: alarms are judged from here. */
  stepStartedAt?: string;
  /** When the current pause or hook retry is due (ISO 8601); Wait states wait until then. */
  checkAt?: string;
  /** The current pause, when it is baked through watching the alarms (the _Bake_ task). */
  bake?: Bake;
  /** Attempts made by the current hook. */
  hookAttempt?: number;
  /** While the candidate comes up: since when, and what the provider last said. */
  preparing?: { since: string; ready: boolean; detail?: string };
  /** While the provider gets a shift's traffic in place (ECS replacing tasks): since when, how often it was asked, what it said. */
  settling?: Settling;
  /** While the provider finishes a promotion (ECS draining the old version): the same. */
  promoting?: Settling;
  /** While the provider finishes a rollback (ECS replacing the candidate's tasks): the same. */
  rollingBack?: Settling;
  /** Ring: the rings that finished, in order. */
  completedRings?: CompletedRing[];
  /** Ring: the state machine the current ring's child execution runs. */
  childStateMachineArn?: string;
  /** The alarms made for this deployment (the comparison's tripwire), watched with the service's and deleted at its end. */
  comparisonAlarms?: string[];
  /** Where each version's own metrics are (the provider said so when the candidate was up): what the comparison reads. */
  versionMetrics?: VersionMetricSpecs;
  /** How far this traffic step's bake was made longer for want of candidate requests. */
  bakeExtension?: BakeExtensionSoFar;
  /** The baseline comparison so far: one look per traffic step, and the baseline's latency before the deployment. */
  analysis?: { looks: Look[]; reference?: BaselineReference };
  /** Recreate: when the stable version stopped serving. */
  downSince?: string;
  downtimeSeconds?: number;
}

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' | 'NOT_FOUND';

export interface AlarmObservation {
  name: string;
  /** State now. */
  state: AlarmState;
  /** True when the alarm was in ALARM at any time since the step started. */
  firedDuringWindow: boolean;
  reason?: string;
}

export interface HealthCheck {
  healthy: boolean;
  checkedAt: string;
  alarms: AlarmObservation[];
  reasons: string[];
  /** The baseline comparison's verdict and its evidence; `inconclusive` holds the rollout for a person. */
  analysis?: Judgment;
  /** Too few candidate requests yet: the bake goes on this many seconds more before the step is judged again. */
  extendBakeSeconds?: number;
}

/** The state data every task receives and returns (`$` in the ASL). */
export interface TaskState {
  deployment: Deployment;
  progress: Progress;
  check?: HealthCheck;
  hook?: { passed: boolean; attempt: number; retriesLeft: number; detail: string };
  /** Ring: each strategy's state machine ARN (a Pass state fills it from the definition's substitutions). */
  stateMachines?: Record<string, string>;
  /** Ring: what the child execution of the current ring returned (its final deployment state). */
  ringResult?: { deploymentId: string; service: string; version: string; previousVersion: string };
  /** Set by an approval's callback (SendTaskSuccess output). */
  approval?: { approved: boolean; by?: string; reason?: string };
  /** Set by a Catch: the error that sent the execution to the rollback path. */
  error?: { Error: string; Cause?: string };
  /**
   * The steps a task ran before it moved the cursor on itself (Shift traffic, Check alarms), in
   * order: what the execution's reader (the console, the local report) sees happen in that task.
   */
  ran?: Step[];
  /** The check a healthy Check alarms made before it moved on (the cursor past it, `check` done with). */
  checked?: HealthCheck;
  outcome?: {
    status: DeploymentStatus;
    error?: string;
    cause?: string;
    /** A rollback a health verdict caused: seconds from the traffic move to the verdict, and from it to traffic back. */
    timing?: { detectedAfterSeconds: number; revertedAfterSeconds: number };
  };
}

/** A request to cut a running deployment short: promote it now, or abort (which rolls back). */
export interface DeploymentControl {
  action: 'promote' | 'abort';
  by: string;
  at: string;
}

/**
 * QUEUED: accepted, waiting for the service lock (or for its execution to start); IN_PROGRESS:
 * its execution runs; CANCELLED: it never started (aborted or superseded while queued).
 */
export type DeploymentStatus =
  | 'QUEUED'
  | 'IN_PROGRESS'
  | 'SUCCEEDED'
  | 'ROLLED_BACK'
  | 'FAILED'
  | 'CANCELLED';

/** Statuses after which nothing changes. */
export const ENDED_STATUSES: readonly DeploymentStatus[] = [
  'SUCCEEDED',
  'ROLLED_BACK',
  'FAILED',
  'CANCELLED',
];

/** The deployment summary kept beside the audit trail. */
/** The last health check's verdict, as the summary keeps it for whoever shows the deployment. */
export interface LastVerdict {
  healthy: boolean;
  at: string;
  step?: number;
  alarms?: unknown;
  reasons?: unknown;
  /** The baseline comparison's verdict and its evidence per criterion, when the service has one. */
  analysis?: unknown;
}

export interface DeploymentSummary {
  deploymentId: string;
  service: string;
  environment: string;
  strategy: string;
  artifact: { image: string; digest?: string };
  stableVersion: string;
  candidateVersion: string;
  status: DeploymentStatus;
  currentStep: number;
  downtimeSeconds?: number;
  stepCount: number;
  weights: Weights;
  trigger: Trigger;
  commitSha?: string;
  startedAt: string;
  endedAt?: string;
  reason?: string;
  /** Promote-now or abort, asked for while the deployment runs; honoured at the next step. */
  control?: DeploymentControl;
  /** The approval an execution waits for, with the token that answers it. */
  pendingApproval?: {
    taskToken: string;
    requestedAt: string;
    timeoutAt: string;
    onTimeout: string;
    /** The audit key of the decision, so that every way of answering writes the same one event. */
    decisionKey?: string;
  };
  /** The execution that runs it (Step Functions ARN, or the local engine's). */
  executionArn?: string;
  /** Why it was asked for, in the caller's words (`reason` says why it ended). */
  requestReason?: string;
  /** When it was accepted (before it started, if it queued). */
  requestedAt?: string;
  /** The request as accepted, kept while it is queued so that it can start later exactly as asked. */
  request?: DeploymentRequest;
  /** The alarms made for it, which whoever closes it deletes (Record event, or the reconciler). */
  comparisonAlarms?: string[];
  /** The last HealthChecked event's verdict: showing a deployment reads no audit trail. */
  lastVerdict?: LastVerdict;
  /** The traffic provider and its identifiers when it started: what the reconciler restores traffic with. */
  provider?: string;
  providerConfig?: Record<string, unknown>;
}

export type AuditEventType =
  | 'DeploymentRequested'
  | 'DeploymentQueued'
  | 'DeploymentSuperseded'
  | 'DeploymentCancelled'
  | 'ControlRequested'
  | 'Reconciled'
  | 'DeploymentStarted'
  | 'CandidatePrepared'
  | 'HookRan'
  | 'ApprovalRequested'
  | 'ApprovalDecided'
  | 'ApprovalTimedOut'
  | 'SegmentRouted'
  | 'VersionStopped'
  | 'VersionStarted'
  | 'ExperimentConcluded'
  | 'TrafficShifted'
  | 'HealthChecked'
  | 'Promoted'
  | 'RolledBack'
  | 'DeploymentSucceeded'
  | 'DeploymentRolledBack'
  | 'DeploymentFailed';

/** One audit event, as the domain describes it before it is chained and stored. */
export interface AuditEventInput {
  type: AuditEventType;
  /** Identity of the event within the deployment: a retried task produces the same key. */
  key: string;
  at: string;
  environment: string;
  service: string;
  version: string;
  trigger: Trigger;
  commitSha?: string;
  rollback: boolean;
  status: DeploymentStatus;
  detail?: Record<string, unknown>;
}

/** An audit event as stored: numbered and hash-chained. */
export interface AuditEvent extends AuditEventInput {
  deploymentId: string;
  seq: number;
  prevHash: string;
  hash: string;
}
