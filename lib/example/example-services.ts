import type { ServiceEntry } from '../../lambdas/domain/registry.ts';

/** The example workload's resource identifiers: tokens in the stack, sample literals in tests. */
export interface ExampleResources {
  readonly cluster: string;
  /** [blue, green] ECS service names. */
  readonly services: readonly [string, string];
  /** [blue, green] target group ARNs, in the order of `services`. */
  readonly targetGroupArns: readonly [string, string];
  readonly listenerArn: string;
  /** The task and execution roles both services' task definitions run with. */
  readonly taskRoleArn: string;
  readonly executionRoleArn: string;
  readonly webAlarm: string;
  readonly functionName: string;
  readonly alias: string;
  readonly functionAlarm: string;
}

/** The example's registered service names: they must not also be in the registry file. */
export const EXAMPLE_SERVICE_NAMES = ['example-web', 'example-function'] as const;

/**
 * The registry entries of the example workload, the same shape as entries of stepwise.config.json:
 * the web service (ECS blue/green behind the ALB) rolls out by canary, the function (Lambda alias)
 * linearly. Bakes are a minute so a try in a sandbox takes minutes, not an afternoon.
 */
export function exampleServices(resources: ExampleResources): ServiceEntry[] {
  return [
    {
      name: EXAMPLE_SERVICE_NAMES[0],
      environment: 'sandbox',
      provider: {
        kind: 'ecs-alb',
        cluster: resources.cluster,
        services: [...resources.services],
        targetGroupArns: [...resources.targetGroupArns],
        listenerArn: resources.listenerArn,
        taskRoleArn: resources.taskRoleArn,
        executionRoleArn: resources.executionRoleArn,
      },
      strategy: 'canary',
      plan: {
        steps: [
          { weight: 10, bakeSeconds: 60 },
          { weight: 50, bakeSeconds: 60 },
          { weight: 100, bakeSeconds: 60 },
        ],
      },
      alarms: [resources.webAlarm],
    },
    {
      name: EXAMPLE_SERVICE_NAMES[1],
      environment: 'sandbox',
      provider: { kind: 'lambda-alias', functionName: resources.functionName, alias: resources.alias },
      strategy: 'linear',
      plan: { stepPercent: 25, intervalSeconds: 60 },
      alarms: [resources.functionAlarm],
    },
  ];
}
