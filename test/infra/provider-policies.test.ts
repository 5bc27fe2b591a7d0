import { describe, expect, it } from 'vitest';
import { TASKS } from '../../lambdas/tasks.ts';
import { MAX_PROVIDER_POLICIES } from '../../lib/registry/service-registry.ts';
import { writeRegistry } from './registries.ts';
import { buildStepwise, synthStepwise } from './support.ts';

/** A registry of `n` Lambda services, each with its alias and its own ECR repository. */
function lambdaServices(n: number) {
  return {
    services: Array.from({ length: n }, (_, i) => {
      const name = `fn-${String(i + 1).padStart(3, '0')}`;
      return {
        name,
        environment: 'prod',
        provider: { kind: 'lambda-alias', functionName: `orders-${name}`, alias: 'live' },
        strategy: 'linear',
        alarms: [`${name}-errors`],
        trigger: { repository: `shop/${name}` },
      };
    }),
  };
}

/** The policy document as IAM stores it, with the pseudo parameters of an eu-west-1 account. */
function rendered(value: unknown): unknown {
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': 'eu-west-1',
    'AWS::AccountId': '123456789012',
  };
  if (Array.isArray(value)) return value.map(rendered);
  if (value === null || typeof value !== 'object') return value;
  const fn = value as Record<string, unknown>;
  if (fn['Fn::Join']) {
    const [delimiter, parts] = fn['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => String(rendered(p))).join(delimiter);
  }
  if (typeof fn.Ref === 'string' && pseudo[fn.Ref]) return pseudo[fn.Ref];
  return Object.fromEntries(Object.entries(fn).map(([k, v]) => [k, rendered(v)]));
}

describe('provider permissions of many services', async () => {
  const { stack, template, logicalId } = await synthStepwise({
    context: { config: writeRegistry(lambdaServices(30)) },
  });
  const policies = stack.registry?.providerAccess ?? [];
  const resources = template.findResources('AWS::IAM::ManagedPolicy');

  it('are packed into managed policies that each fit IAM’s 6,144 characters', () => {
    expect(policies.length).toBeGreaterThan(1);
    for (const policy of policies) {
      const document = rendered(resources[logicalId(policy)]?.Properties.PolicyDocument);
      expect(JSON.stringify(document).length).toBeLessThanOrEqual(6144);
    }
  });

  it('grant every service to every role that moves traffic, and every service once', () => {
    const roles = [
      ...TASKS.filter((task) => task.usesProvider).map((task) => ({
        Ref: logicalId(stack.tasks.get(task.id).role),
      })),
      { Ref: logicalId(stack.control.reconcile.handler.role) },
    ];
    const functions: string[] = [];
    for (const policy of policies) {
      const properties = resources[logicalId(policy)]?.Properties;
      expect(properties.Roles).toEqual(roles);
      const text = JSON.stringify(rendered(properties.PolicyDocument));
      functions.push(...new Set(text.match(/function:orders-fn-\d{3}(?=["*:])/g) ?? []));
    }
    expect(functions.sort()).toEqual(lambdaServices(30).services.map((s) => `function:orders-${s.name}`));
  });
});

describe('too many services for one stack', () => {
  it('fail the synth, saying how to split them', async () => {
    await expect(buildStepwise({ context: { config: writeRegistry(lambdaServices(120)) } })).rejects.toThrow(
      new RegExp(
        `provider policies, more than the ${MAX_PROVIDER_POLICIES} this stack attaches to a role .*split the registry across stacks`,
      ),
    );
  });
});
