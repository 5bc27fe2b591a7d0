import type { TaskState } from '../lambdas/domain/types.ts';
import type { Clock } from '../lambdas/ports/clock.ts';
import type { Store } from '../lambdas/ports/store.ts';
import { TASKS } from '../lambdas/tasks.ts';
import type { Faults } from './faults.ts';
import { asFunction } from './function-scope.ts';
import { namedError } from './in-process-aws.ts';
import { taskName } from './lambda-context.ts';

/**
 * Where `--inject` acts on a run: the faults it throws in a task (named as AWS names that kind of
 * failure, so Retry and Catch treat them alike), and the promote-now or abort it asks for at a
 * step. The grammar is in faults.ts; the runtime calls these around each task.
 */

/** The Bake state's name for `--inject fail=bake` / `throttle=bake`: its own DynamoDB write, no Lambda. */
export const BAKE_TASK = 'bake';
/** Task names as `--inject` and the docs spell them: the entry file without `.ts`. */
export const TASK_NAMES = [...TASKS.map((t) => taskName(t)), BAKE_TASK];

/** The tasks that move the cursor on, and so honour a promote-now or abort (Next step, and the step loop's two). */
export const CURSOR_TASKS = new Set(['next-step', 'shift-traffic', 'check-alarms']);

type Progressed = { progress?: TaskState['progress']; state?: { progress?: TaskState['progress'] } };

/** The traffic step a task works on, for `--inject …@step=N`: a shift moves into the next one. */
export function stepOf(task: string, payload: unknown): number {
  const p = payload as Progressed;
  const done = p?.progress?.trafficStep ?? p?.state?.progress?.trafficStep ?? 0;
  return ['shift-traffic', 'route-segment', 'recreate-step'].includes(task) ? done + 1 : done;
}

/** What a run remembers of the faults it fired: throttles fire once per task and step, `once` failures once. */
export interface FiredFaults {
  fired: Set<string>;
  firedFaults: Set<unknown>;
}

/** Throws the fault `--inject` asks of task `name` at `step`, named as AWS names it for that kind of task. */
export function injectTaskFault(
  faults: Faults,
  run: FiredFaults,
  deploymentId: string,
  name: string,
  step: number,
  errors: { throttle: string; fail: string },
): void {
  for (const fault of faults.tasks) {
    if (fault.task !== name || (fault.step !== undefined && fault.step !== step)) continue;
    const key = `${deploymentId}:${fault.kind}:${name}:${step}`;
    if (fault.kind === 'throttle' && !run.fired.has(key)) {
      run.fired.add(key);
      run.firedFaults.add(fault);
      throw namedError(errors.throttle, `injected throttle in ${name} at step ${step}`);
    }
    if (fault.kind === 'fail') {
      if (fault.once && run.firedFaults.has(fault)) continue;
      run.firedFaults.add(fault);
      throw namedError(errors.fail, `injected failure in ${name} at step ${step}`);
    }
  }
}

/**
 * Asks for a promote-now or abort once the rollout has reached the step `--inject control=…@step=N`
 * names, through the same summary field the API writes; Next step then honours it.
 */
export async function injectControl(
  store: Pick<Store, 'getDeployment' | 'updateDeployment'>,
  clock: Clock,
  state: TaskState,
  step: number,
  faults: Faults,
  firedFaults: Set<unknown>,
): Promise<void> {
  const control = faults.controls.find((c) => step >= c.step);
  if (!control) return;
  firedFaults.add(control);
  const id = state.deployment.deploymentId;
  // What the API's promote or abort would write.
  await asFunction('control:api', async () => {
    if ((await store.getDeployment(id))?.control) return;
    await store.updateDeployment(id, {
      control: { action: control.action, by: 'local:--inject', at: clock.now().toISOString() },
    });
  });
}
