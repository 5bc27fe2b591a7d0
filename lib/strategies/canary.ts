import { Strategy } from './strategy.ts';

/**
 * Canary: shift a growing share of traffic to the candidate in steps, bake each step, check its
 * alarms, promote at 100 % or roll back (statemachines/canary.asl.json).
 */
export class CanaryStrategy extends Strategy {
  constructor() {
    super({
      name: 'canary',
      tasks: [
        'StartDeployment',
        'PrepareCandidate',
        'ShiftTraffic',
        'CheckAlarms',
        'Promote',
        'RollBack',
        'RecordEvent',
      ],
    });
  }
}
