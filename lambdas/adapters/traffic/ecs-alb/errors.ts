import {
  ConflictError,
  ProviderError,
  ResourceNotFoundError,
  TransientError,
} from '../../../domain/errors.ts';
import { rethrowAws } from '../../aws-errors.ts';

/**
 * ECS and ELBv2 error names and what they mean to the state machine. ELBv2 speaks the query
 * protocol, whose codes (`ListenerNotFound`) the SDK names with an `Exception` suffix; both are
 * listed so an unmodelled error keeps its meaning.
 */
const NOT_FOUND: Record<string, string> = {
  ClusterNotFoundException: 'cluster',
  ServiceNotFoundException: 'service',
  ServiceNotActiveException: 'active service',
  ListenerNotFoundException: 'listener',
  ListenerNotFound: 'listener',
  RuleNotFoundException: 'listener rule',
  RuleNotFound: 'listener rule',
  TargetGroupNotFoundException: 'target group',
  TargetGroupNotFound: 'target group',
  LoadBalancerNotFoundException: 'load balancer',
  LoadBalancerNotFound: 'load balancer',
};

/** Someone else holds or changed the resource: worth a look, not a blind retry. */
const CONFLICT = new Set([
  'PriorityInUseException',
  'PriorityInUse',
  'ResourceInUseException',
  'ResourceInUse',
  'UpdateInProgressException',
  'ConflictException',
]);

/** Retryable, but not in the shared list: ECS's server-side failure and ELBv2's "a prior request is still running". */
const TRANSIENT = new Set(['ServerException', 'PriorRequestNotCompleteException', 'PriorRequestNotComplete']);

/** AWS refused the request as made: retrying the same request cannot help. */
const REFUSED = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'ClientException',
  'InvalidParameterException',
  'LimitExceededException',
  'PlatformTaskDefinitionIncompatibilityException',
  'PlatformUnknownException',
  'UnsupportedFeatureException',
  'ValidationError',
  'InvalidConfigurationRequestException',
  'InvalidConfigurationRequest',
  'InvalidLoadBalancerActionException',
  'InvalidLoadBalancerAction',
  'IncompatibleProtocolsException',
  'OperationNotPermittedException',
  'OperationNotPermitted',
  'TargetGroupAssociationLimitException',
  'TooManyActionsException',
  'TooManyRulesException',
  'TooManyTargetGroupsException',
  'TooManyRegistrationsForTargetIdException',
  'TooManyUniqueTargetGroupsPerLoadBalancerException',
]);

/**
 * Turns an ECS or ELBv2 failure into the typed error the state machine matches. `what` names the
 * call and its resource (`UpdateService checkout-green in cluster prod`), so a not-found error
 * says which of the configured resources is missing.
 */
export function rethrowEcsAlb(error: unknown, what: string): never {
  const name = (error as { name?: string })?.name ?? '';
  const message = (error as Error)?.message ?? String(error);
  const missing = NOT_FOUND[name];
  if (missing) {
    throw new ResourceNotFoundError(`${what}: ${missing} not found (${name}: ${message})`, { cause: error });
  }
  if (CONFLICT.has(name)) throw new ConflictError(`${what}: ${name}: ${message}`, { cause: error });
  if (TRANSIENT.has(name)) throw new TransientError(`${what}: ${name}: ${message}`, { cause: error });
  if (REFUSED.has(name)) throw new ProviderError(`${what}: ${name}: ${message}`, { cause: error });
  return rethrowAws(error, what);
}
