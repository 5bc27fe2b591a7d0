/** Every strategy: one statemachines/<name>.asl.json and one state machine each. */
export const STRATEGIES = [
  'canary',
  'linear',
  'all-at-once',
  'blue-green',
  'rolling',
  'recreate',
  'ab-segment',
  'ring',
] as const;
export type StrategyName = (typeof STRATEGIES)[number];

export function isStrategy(name: string): name is StrategyName {
  return (STRATEGIES as readonly string[]).includes(name);
}
