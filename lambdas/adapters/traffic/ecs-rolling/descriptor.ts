import type { ProviderDescriptor } from '../descriptor.ts';
import { parseEcsRollingConfig } from './config.ts';
import { EcsRollingTrafficProvider } from './ecs-rolling-provider.ts';

/** One ECS service updated in place, batch by batch. */
export const ecsRolling: ProviderDescriptor = {
  kind: 'ecs-rolling',
  checkConfig(config) {
    parseEcsRollingConfig(config);
  },
  limits: () => ({
    segments: 'an ECS service has no request routing',
    'version-metrics':
      'both versions run in one ECS service behind one target group, so CloudWatch has no metrics per version (use ecs-alb, or judge with alarms)',
    'side-by-side': 'it updates one fleet in place, so there is no idle fleet to switch to (use ecs-alb)',
  }),
  create: (config, deps) => new EcsRollingTrafficProvider(deps.aws().ecs, config),
};
