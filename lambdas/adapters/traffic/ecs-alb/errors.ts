import { type ErrorReading, meaningOf, rethrow } from '../provider-errors.ts';

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
const CONFLICT = [
  'PriorityInUseException',
  'PriorityInUse',
  'ResourceInUseException',
  'ResourceInUse',
  'UpdateInProgressException',
  'ConflictException',
];

/** Retryable, but not in the shared list: ECS's server-side failure and ELBv2's "a prior request is still running". */
const TRANSIENT = ['ServerException', 'PriorRequestNotCompleteException', 'PriorRequestNotComplete'];

/** AWS refused the request as made: retrying the same request cannot help. */
const REFUSED = [
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
];

const READING: ErrorReading = {
  meanings: {
    ...meaningOf('not-found', Object.keys(NOT_FOUND)),
    ...meaningOf('conflict', CONFLICT),
    ...meaningOf('transient', TRANSIENT),
    ...meaningOf('refused', REFUSED),
  },
  wording: {
    'not-found': ({ what, name, message }) => `${what}: ${NOT_FOUND[name]} not found (${name}: ${message})`,
  },
};

/**
 * Turns an ECS or ELBv2 failure into the typed error the state machine matches. `what` names the
 * call and its resource (`UpdateService checkout-green in cluster prod`), so a not-found error
 * says which of the configured resources is missing.
 */
export function rethrowEcsAlb(error: unknown, what: string): never {
  return rethrow(READING, error, what);
}
