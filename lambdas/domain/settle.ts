import { type NotReadyYetError, ProviderError } from './errors.ts';
import { rolloutTimeoutOf, settlePollSeconds } from './quotas.ts';
import type { Progress, TaskState } from './types.ts';

/** The tasks that may find the provider still on its way, and the progress field each keeps while it waits. */
export type SettleKey = 'settling' | 'promoting' | 'rollingBack';

/** Of the task that waits: what did not happen in time (for the error naming the timeout). */
const WHAT: Record<SettleKey, (state: TaskState) => string> = {
  settling: () => "traffic did not reach the step's weight",
  promoting: (s) => `${s.deployment.candidateVersion} did not take all traffic`,
  rollingBack: (s) => `traffic did not return to ${s.deployment.stableVersion}`,
};

/**
 * The provider is on its way (ECS still replacing tasks): the task answers with `progress[key]`
 * and a due time, and the state machine waits until `progress.checkAt` and runs the task again,
 * 15 s, 30 s, then every 60 s, until the provider config's `rolloutTimeoutSeconds` (default 600)
 * runs out, which fails the task (`Stepwise.ProviderFailed`) naming the field.
 */
export function settleLater(state: TaskState, key: SettleKey, error: NotReadyYetError, now: Date): TaskState {
  const { progress } = state;
  const since = progress[key]?.since ?? now.toISOString();
  const polls = progress[key]?.polls ?? 0;
  const timeout = rolloutTimeoutOf(state.deployment.providerConfig);
  const waited = (now.getTime() - new Date(since).getTime()) / 1000;
  if (waited >= timeout) {
    throw new ProviderError(
      `${WHAT[key](state)} within ${timeout}s (providerConfig.rolloutTimeoutSeconds): ${error.message}`,
      { cause: error },
    );
  }
  const checkAt = new Date(now.getTime() + settlePollSeconds(polls) * 1000).toISOString();
  return {
    ...state,
    progress: { ...progress, checkAt, [key]: { since, polls: polls + 1, detail: error.message } },
  };
}

/** The progress once the provider settled: the wait's field and due time gone. */
export function settled(progress: Progress, key: SettleKey): Progress {
  const { [key]: _done, checkAt: _due, ...rest } = progress;
  return rest;
}
