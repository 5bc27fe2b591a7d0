export type DynamoDbAction = 'GetItem' | 'BatchGetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Query';

/**
 * Every Lambda task of the state machines: the `${Placeholder}` its ASL Task names, its entry
 * file, and exactly what it may touch. Data only (no handler code), so the CDK app can read it
 * without loading the handlers. The CDK stack builds one function per entry and grants just
 * these actions; the local runtime maps the same placeholders to the handler factories
 * (lambdas/handlers/index.ts).
 */
export interface TaskDefinition {
  /** Construct id of the function; renaming it replaces the function on AWS. */
  id: string;
  /** The `${...}` substitution the ASL uses as FunctionName. */
  placeholder: string;
  /** File under lambdas/entries/ that exports `handler`. */
  entry: string;
  dynamodb: DynamoDbAction[];
  /** CloudWatch read actions, for tasks that judge health. */
  cloudwatch?: (
    | 'cloudwatch:DescribeAlarms'
    | 'cloudwatch:DescribeAlarmHistory'
    | 'cloudwatch:GetMetricData'
  )[];
  /** Creates or deletes the alarms Stepwise makes for a deployment, named `stepwise-*` (IAM is scoped to that prefix). */
  deploymentAlarms?: ('cloudwatch:PutMetricAlarm' | 'cloudwatch:DeleteAlarms')[];
  /** May invoke Lambda hook functions, which must be named `stepwise-hook-*` (IAM is scoped to that prefix). */
  invokesHooks?: boolean;
  /** Calls the service's traffic provider: gets the provider's permissions on the registered resources. */
  usesProvider?: boolean;
}

/**
 * Every task function's Lambda timeout: under the Tasks' `TimeoutSeconds` (120) in the state
 * machines, so a hung invocation ends as a Lambda error the state machine's Retry sees. The local
 * runtime reports the same budget, less the task's virtual time, as the remaining time.
 */
export const TASK_FUNCTION_TIMEOUT_SECONDS = 60;

/** Lambda hooks must carry this name prefix: the RunHook role may invoke nothing else. */
export const HOOK_FUNCTION_PREFIX = 'stepwise-hook-';

export const TASKS: TaskDefinition[] = [
  {
    id: 'StartDeployment',
    placeholder: 'StartDeploymentFunctionArn',
    entry: 'start-deployment.ts',
    // UpdateItem: a deployment the control plane queued is filled in (createDeployment → startQueued).
    // DeleteItem: the lock is released when the start fails after taking it.
    dynamodb: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'],
    // Pre-flight: the service's alarms exist, have actions enabled, and are not already firing.
    cloudwatch: ['cloudwatch:DescribeAlarms'],
  },
  {
    id: 'PrepareCandidate',
    placeholder: 'PrepareCandidateFunctionArn',
    entry: 'prepare-candidate.ts',
    // UpdateItem: the summary lists the deployment's own alarm, for whoever closes it to delete.
    dynamodb: ['GetItem', 'PutItem', 'UpdateItem', 'Query'],
    usesProvider: true,
    // The comparison's tripwire alarm, made once the candidate is up.
    deploymentAlarms: ['cloudwatch:PutMetricAlarm'],
  },
  {
    id: 'NextStep',
    placeholder: 'NextStepFunctionArn',
    entry: 'next-step.ts',
    // Reads the summary for a promote-now or abort request. An approval that timed out and
    // continues: PutItem and Query append ApprovalTimedOut, UpdateItem clears the pending approval.
    dynamodb: ['GetItem', 'PutItem', 'UpdateItem', 'Query'],
  },
  {
    id: 'ShiftTraffic',
    placeholder: 'ShiftTrafficFunctionArn',
    entry: 'shift-traffic.ts',
    dynamodb: ['GetItem', 'PutItem', 'UpdateItem', 'Query'],
    usesProvider: true,
  },
  {
    id: 'CheckAlarms',
    placeholder: 'CheckAlarmsFunctionArn',
    entry: 'check-alarms.ts',
    // GetItem: moving on to the next step reads the summary for a promote-now or abort, as Next step does.
    // UpdateItem: the summary keeps the verdict (lastVerdict), so that showing a deployment reads no trail.
    dynamodb: ['GetItem', 'PutItem', 'UpdateItem', 'Query'],
    // GetMetricData: the baseline comparison reads both versions' metrics (where Prepare candidate said they are).
    cloudwatch: ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory', 'cloudwatch:GetMetricData'],
  },
  {
    id: 'RunHook',
    placeholder: 'RunHookFunctionArn',
    entry: 'run-hook.ts',
    // GetItem: an audit append looks for its event's key first (a retried write finds it).
    dynamodb: ['GetItem', 'PutItem', 'Query'],
    invokesHooks: true,
  },
  {
    id: 'RequestApproval',
    placeholder: 'RequestApprovalFunctionArn',
    entry: 'request-approval.ts',
    dynamodb: ['GetItem', 'UpdateItem', 'PutItem', 'Query'],
  },
  {
    id: 'RouteSegment',
    placeholder: 'RouteSegmentFunctionArn',
    entry: 'route-segment.ts',
    dynamodb: ['GetItem', 'PutItem', 'UpdateItem', 'Query'],
    usesProvider: true,
  },
  {
    id: 'RecreateStep',
    placeholder: 'RecreateStepFunctionArn',
    entry: 'recreate-step.ts',
    dynamodb: ['GetItem', 'PutItem', 'UpdateItem', 'Query'],
    usesProvider: true,
  },
  {
    id: 'Promote',
    placeholder: 'PromoteFunctionArn',
    entry: 'promote.ts',
    dynamodb: ['GetItem', 'PutItem', 'UpdateItem', 'Query'],
    usesProvider: true,
  },
  {
    id: 'RollBack',
    placeholder: 'RollBackFunctionArn',
    entry: 'roll-back.ts',
    dynamodb: ['GetItem', 'PutItem', 'UpdateItem', 'Query'],
    usesProvider: true,
  },
  {
    id: 'RecordEvent',
    placeholder: 'RecordEventFunctionArn',
    entry: 'record-event.ts',
    dynamodb: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'],
    // The deployment's tripwire alarm goes when it closes.
    deploymentAlarms: ['cloudwatch:DeleteAlarms'],
  },
];
