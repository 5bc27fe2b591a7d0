/** Who or what asked for a deployment. */
export interface Trigger {
  /** `cli`, `api`, `ecr-push`, ... */
  source: string;
  /** IAM principal, OS user, or event id. */
  principal: string;
}

/** One step of a weighted plan: move `weight` percent to the candidate, then bake. */
export interface PlanStep {
  weight: number;
  bakeSeconds: number;
}

export interface Plan {
  steps: PlanStep[];
}

export type InsufficientDataPolicy = 'healthy' | 'unhealthy';

/** What the runtime knows about a service (the registry entry). */
export interface ServiceConfig {
  service: string;
  environment: string;
  /** Traffic provider kind; only `simulated` exists so far. */
  provider: string;
  /** CloudWatch alarm names whose state gates every step. */
  alarms: string[];
  insufficientData: InsufficientDataPolicy;
  plan: Plan;
}

/** The execution input: what to deploy, where, and how. */
export interface DeploymentRequest {
  deploymentId: string;
  service: string;
  artifact: { image: string; digest?: string };
  strategy: 'canary';
  /** Overrides the service's plan for this deployment only. */
  plan?: Plan;
  trigger: Trigger;
  commitSha?: string;
}

/** The deployment as the state machine carries it after Prepare: request plus a config snapshot. */
export interface Deployment extends DeploymentRequest {
  environment: string;
  provider: string;
  plan: Plan;
  alarms: string[];
  insufficientData: InsufficientDataPolicy;
  stableVersion: string;
  candidateVersion: string;
  startedAt: string;
}

/** Percent of traffic per version, keyed by version name. Integers 0..100 summing to 100. */
export type Weights = Record<string, number>;

export interface Progress {
  /** Index of the step whose weight is in effect; -1 before the first shift. */
  stepIndex: number;
  stepCount: number;
  weights: Weights;
  isFinalStep: boolean;
  stepStartedAt?: string;
  /** When the bake of the current step is over (ISO 8601); the Bake state waits until then. */
  checkAt?: string;
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
}

/** The state data every task receives and returns (`$` in the ASL). */
export interface TaskState {
  deployment: Deployment;
  progress: Progress;
  check?: HealthCheck;
  /** Set by a Catch: the error that sent the execution to the rollback path. */
  error?: { Error: string; Cause?: string };
  outcome?: { status: DeploymentStatus; error?: string; cause?: string };
}

export type DeploymentStatus = 'IN_PROGRESS' | 'SUCCEEDED' | 'ROLLED_BACK' | 'FAILED';

/** The deployment summary kept beside the audit trail. */
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
  stepCount: number;
  weights: Weights;
  trigger: Trigger;
  commitSha?: string;
  startedAt: string;
  endedAt?: string;
  reason?: string;
}

export type AuditEventType =
  | 'DeploymentStarted'
  | 'CandidatePrepared'
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
