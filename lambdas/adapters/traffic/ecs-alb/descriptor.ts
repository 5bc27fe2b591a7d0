import type { ProviderDescriptor } from '../descriptor.ts';
import { parseEcsAlbConfig } from './config.ts';
import { EcsAlbTrafficProvider } from './ecs-alb-provider.ts';

/** Two ECS services behind weighted ALB target groups (blue/green and canary on one listener). */
export const ecsAlb: ProviderDescriptor = {
  kind: 'ecs-alb',
  checkConfig(config) {
    parseEcsAlbConfig(config);
  },
  limits: (config) => ({
    'stop-start': 'both target groups always serve (the recreate strategy needs the ecs-rolling provider)',
    ...(config.listenerArn
      ? {}
      : { segments: 'a segment is a rule on a listener: give providerConfig.listenerArn, not ruleArn' }),
  }),
  create(config, deps) {
    const { ecs, elbv2 } = deps.aws();
    return new EcsAlbTrafficProvider(config, { ecs, elbv2 });
  },
};
