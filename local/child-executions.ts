import type { ExecutionEnded, Reconciled } from '../lambdas/control/reconciler.ts';
import { isStrategy, type StrategyName } from '../lambdas/domain/strategies/index.ts';
import type { DeploymentRequest } from '../lambdas/domain/types.ts';
import {
  ExecutionAlreadyExistsError,
  type ExecutionNames,
  type ExecutionResult,
  type TaskRequest,
} from './engine.ts';
import { namedError } from './in-process-aws.ts';
import { endedOf } from './in-process-executions.ts';
import type { ReportBuilder } from './report.ts';

/** What a child execution needs of the run whose task starts it. */
export interface ParentRun {
  /** The execution names each strategy's state machine holds. */
  names: ExecutionNames;
  /** Runs an execution of `strategy` in the same run (its clock, faults and store), reporting to `report`. */
  execute(
    strategy: StrategyName,
    request: DeploymentRequest,
    report: ReportBuilder,
  ): Promise<{ execution: ExecutionResult; stateTransitions: number }>;
  /** The reconciler that hears of the child's end, as it hears of any execution's. */
  reconcile(ended: ExecutionEnded): Promise<Reconciled>;
}

/** The strategy a child execution runs: its state machine ARN (or, locally, its placeholder) names it. */
function strategyOfArn(arn: string): StrategyName {
  const placeholder = /^\$\{(\w+)StateMachineArn\}$/.exec(arn)?.[1];
  const name = placeholder
    ? placeholder.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()
    : (arn.split(':').at(-1)?.replace(/^.*?-/, '') ?? '');
  if (!isStrategy(name)) throw new Error(`no local state machine for ${arn}`);
  return name;
}

/**
 * `states:startExecution.sync:2` locally: starts the child execution under its name, as Step
 * Functions does (a name its state machine already holds is refused with
 * `StepFunctions.ExecutionAlreadyExistsException`, unless it is the same execution still
 * running), runs the child's strategy in-process, and answers with the child's output on
 * success, a `States.TaskFailed` error whose cause is the child's error and cause otherwise.
 */
export function runChild(
  run: ParentRun,
  task: Extract<TaskRequest, { kind: 'execution' }>,
  parent: ReportBuilder,
  countTransitions: (n: number) => void,
): Promise<unknown> {
  const strategy = strategyOfArn(task.stateMachineArn);
  try {
    return run.names.claim(strategy, task.name, JSON.stringify(task.input), () =>
      runChildExecution(run, strategy, task, parent, countTransitions).finally(() =>
        run.names.close(strategy, task.name),
      ),
    ).execution as Promise<unknown>;
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExistsError)) throw error;
    return Promise.reject(namedError('StepFunctions.ExecutionAlreadyExistsException', error.message));
  }
}

async function runChildExecution(
  run: ParentRun,
  strategy: StrategyName,
  task: Extract<TaskRequest, { kind: 'execution' }>,
  parent: ReportBuilder,
  countTransitions: (n: number) => void,
): Promise<unknown> {
  const request = task.input as DeploymentRequest;
  const report = parent.child(request.service);
  const { execution, stateTransitions } = await run.execute(strategy, request, report);
  countTransitions(stateTransitions);
  // A child is an execution of its own on AWS, whose end the reconciler hears of like any other.
  await run.reconcile(endedOf(request, execution, `${strategy}:${task.name}`));
  parent.childEnded(request.service, execution.status === 'SUCCEEDED', execution.cause);
  if (execution.status !== 'SUCCEEDED') {
    throw namedError(
      'States.TaskFailed',
      JSON.stringify({ Error: execution.error, Cause: execution.cause, Status: execution.status }),
    );
  }
  const result = {
    ExecutionArn: `arn:aws:states:local:000000000000:execution:stepwise-${strategy}:${task.name}`,
    Output: execution.output,
    Status: 'SUCCEEDED',
  };
  return result;
}
