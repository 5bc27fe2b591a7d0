/**
 * Every failure a task can report to the state machine. The `name` of each class is the exact
 * string that `ErrorEquals` matches in the ASL files, so renaming one is a breaking change.
 */
export class StepwiseError extends Error {
  override name = 'Stepwise.Error';
}

/** The task input or a plan is malformed; nothing was changed. */
export class InvalidInputError extends StepwiseError {
  override name = 'Stepwise.InvalidInput';
}

/** The service has no registered configuration. */
export class ServiceNotFoundError extends StepwiseError {
  override name = 'Stepwise.ServiceNotFound';
}

/** Another deployment holds the service lock. */
export class LockHeldError extends StepwiseError {
  override name = 'Stepwise.LockHeld';
}

/** A dependency failed in a way that is worth retrying (throttling, a network blip). */
export class TransientError extends StepwiseError {
  override name = 'Stepwise.Transient';
}

/**
 * The provider is doing what was asked but is not there yet (tasks starting, a rollout draining,
 * an AppConfig rollback): the state machine asks again every 15 s for up to 10 minutes, a
 * Retry pause rather than a sleep in a Lambda.
 */
export class NotReadyYetError extends TransientError {
  override name = 'Stepwise.NotReadyYet';
}

/** Weights read back from the traffic target differ from the ones just written. */
export class WeightsMismatchError extends StepwiseError {
  override name = 'Stepwise.WeightsMismatch';
}

/** The candidate did not become ready (stable, healthy targets) within the provider's timeout. */
export class CandidateNotReadyError extends StepwiseError {
  override name = 'Stepwise.CandidateNotReady';
}

/** A resource the provider config names (cluster, service, listener, function, alias, flag) does not exist. */
export class ResourceNotFoundError extends StepwiseError {
  override name = 'Stepwise.ResourceNotFound';
}

/** The resource is busy or was changed by someone else (an update in progress, a version conflict). */
export class ConflictError extends StepwiseError {
  override name = 'Stepwise.Conflict';
}

/** The traffic provider refused or failed an operation for good. */
export class ProviderError extends StepwiseError {
  override name = 'Stepwise.ProviderFailed';
}

/** The audit trail is not what it was written as: a chain link is broken. */
export class AuditTamperedError extends StepwiseError {
  override name = 'Stepwise.AuditTampered';
}

/** Pre-flight refused the deployment before any traffic moved: an alarm is missing, disabled or already firing. */
export class PreflightFailedError extends StepwiseError {
  override name = 'Stepwise.PreflightFailed';
}

/** A deployment id that names no deployment. */
export class DeploymentNotFoundError extends StepwiseError {
  override name = 'Stepwise.DeploymentNotFound';
}
