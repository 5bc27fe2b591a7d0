import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { makeCheckAlarmsHandler } from './check-alarms.ts';
import type { TaskDeps } from './deps.ts';
import { makeNextStepHandler } from './next-step.ts';
import { makePrepareCandidateHandler } from './prepare-candidate.ts';
import { makePromoteHandler } from './promote.ts';
import { makeRecordEventHandler } from './record-event.ts';
import { makeRecreateStepHandler } from './recreate-step.ts';
import { makeRequestApprovalHandler } from './request-approval.ts';
import { makeRollBackHandler } from './roll-back.ts';
import { makeRouteSegmentHandler } from './route-segment.ts';
import { makeRunHookHandler } from './run-hook.ts';
import { makeShiftTrafficHandler } from './shift-traffic.ts';
import { makeStartDeploymentHandler } from './start-deployment.ts';

/** A task as Lambda (and the local runtime) calls it. */
export type TaskLambda = (event: unknown, context: Context) => Promise<unknown>;

/** The handler factory of every task in lambdas/tasks.ts, by task id. */
export const HANDLER_FACTORIES: Record<string, (deps: TaskDeps, logger?: Logger) => TaskLambda> = {
  StartDeployment: makeStartDeploymentHandler,
  PrepareCandidate: makePrepareCandidateHandler,
  NextStep: makeNextStepHandler,
  ShiftTraffic: makeShiftTrafficHandler,
  CheckAlarms: makeCheckAlarmsHandler,
  RunHook: makeRunHookHandler,
  RequestApproval: makeRequestApprovalHandler,
  RouteSegment: makeRouteSegmentHandler,
  RecreateStep: makeRecreateStepHandler,
  Promote: makePromoteHandler,
  RollBack: makeRollBackHandler,
  RecordEvent: makeRecordEventHandler,
};
