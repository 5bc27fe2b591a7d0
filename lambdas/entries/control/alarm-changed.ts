import type { EventBridgeEvent } from 'aws-lambda';
import { awsControlDeps } from '../../adapters/aws-control-deps.ts';
import { handleAlarmStateChange } from '../../control/alarm-changed.ts';

const { deps } = awsControlDeps('stepwise-alarm-changed');

/** Lambda entry: the target of the `CloudWatch Alarm State Change` rule (alarms going into ALARM). */
export const handler = (event: EventBridgeEvent<'CloudWatch Alarm State Change', unknown>) =>
  handleAlarmStateChange(deps, event);
