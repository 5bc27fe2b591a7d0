import type { Action, Rule, RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ConflictError } from '../../../domain/errors.ts';
import type { SegmentMatch } from '../../../domain/steps.ts';

/**
 * Pure functions over ALB actions and rules: read a forward action as percentages, write one with
 * integer weights, and translate a segment match to a rule condition and back.
 */

export type Pair<T> = [T, T];

function forwardOf(actions: Action[], where: string): Action {
  const forward = actions.find((a) => a.Type === 'forward');
  if (!forward) {
    const types = actions.map((a) => a.Type).join(', ') || 'none';
    throw new ConflictError(`${where} has no forward action (its actions: ${types})`);
  }
  return forward;
}

/** Target group → weight as ALB stores it (0–999, relative; a lone target group counts as 1). */
function rawWeights(forward: Action): Map<string, number> {
  const tuples = forward.ForwardConfig?.TargetGroups ?? [];
  if (tuples.length > 0) return new Map(tuples.map((t) => [t.TargetGroupArn ?? '', t.Weight ?? 1]));
  return new Map(forward.TargetGroupArn ? [[forward.TargetGroupArn, 1]] : []);
}

/** The forward action's split between the two target groups, in percent; refuses any other target group. */
export function percentWeights(actions: Action[], targetGroups: Pair<string>, where: string): Pair<number> {
  const raw = rawWeights(forwardOf(actions, where));
  const foreign = [...raw.keys()].filter((arn) => !targetGroups.includes(arn));
  if (foreign.length > 0) {
    throw new ConflictError(
      `${where} also forwards to ${foreign.join(', ')}, which is not in providerConfig.targetGroupArns`,
    );
  }
  const [a, b] = targetGroups.map((arn) => raw.get(arn) ?? 0) as Pair<number>;
  if (a + b === 0) return [0, 0];
  const first = Math.round((a * 100) / (a + b));
  return [first, 100 - first];
}

/** Whether both target groups are in the forward action: ALB health-checks only target groups a rule uses. */
export function forwardsToBoth(actions: Action[], targetGroups: Pair<string>, where: string): boolean {
  const raw = rawWeights(forwardOf(actions, where));
  return targetGroups.every((arn) => raw.has(arn));
}

/** The same actions with the forward action split `weights` between the two target groups. */
export function withWeights(actions: Action[], targetGroups: Pair<string>, weights: Pair<number>): Action[] {
  return actions.map((action): Action => {
    if (action.Type === 'forward') {
      const stickiness = action.ForwardConfig?.TargetGroupStickinessConfig;
      return {
        Type: 'forward',
        ...(action.Order !== undefined ? { Order: action.Order } : {}),
        ForwardConfig: {
          TargetGroups: targetGroups.map((arn, i) => ({ TargetGroupArn: arn, Weight: weights[i] })),
          ...(stickiness ? { TargetGroupStickinessConfig: stickiness } : {}),
        },
      };
    }
    if (action.Type === 'authenticate-oidc' && action.AuthenticateOidcConfig) {
      // Describe never returns the client secret; writing the action back must keep the one ALB has.
      const { ClientSecret: _secret, ...oidc } = action.AuthenticateOidcConfig;
      return { ...action, AuthenticateOidcConfig: { ...oidc, UseExistingClientSecret: true } };
    }
    return action;
  });
}

/**
 * ALB has no cookie condition: a cookie segment is a `Cookie` header condition with the value
 * `*name=value*` (ALB header values take `*` and `?` wildcards, compared case-insensitively).
 */
export function segmentConditions(match: SegmentMatch): RuleCondition[] {
  const [name, value] =
    'header' in match ? [match.header, match.value] : ['Cookie', `*${match.cookie}=${match.value}*`];
  return [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: name, Values: [value] } }];
}

/** The match a segment rule routes, or undefined when the rule is not a single header condition. */
export function segmentOf(rule: Rule): SegmentMatch | undefined {
  const conditions = rule.Conditions ?? [];
  const [condition] = conditions;
  if (conditions.length !== 1 || condition?.Field !== 'http-header') return undefined;
  const name = condition.HttpHeaderConfig?.HttpHeaderName;
  const values = condition.HttpHeaderConfig?.Values ?? [];
  const [value] = values;
  if (!name || values.length !== 1 || value === undefined) return undefined;
  const cookie = name.toLowerCase() === 'cookie' ? /^\*([^=*?]+)=(.*)\*$/.exec(value) : null;
  if (cookie?.[1] !== undefined && cookie[2] !== undefined) return { cookie: cookie[1], value: cookie[2] };
  return { header: name, value };
}

/** The target groups a rule forwards to. */
export function forwardTargets(rule: Rule): string[] {
  const forward = (rule.Actions ?? []).find((a) => a.Type === 'forward');
  return forward ? [...rawWeights(forward).keys()] : [];
}

/** `arn:…:targetgroup/checkout-green/0123abcd` → `checkout-green`. */
export function targetGroupName(arn: string): string {
  return /targetgroup\/([^/]+)\//.exec(arn)?.[1] ?? arn;
}
