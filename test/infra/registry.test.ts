import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { PROVIDER_KINDS } from '../../lambdas/adapters/traffic/providers.ts';
import { toServiceConfig } from '../../lambdas/domain/registry.ts';
import { defaultStrategyPlan } from '../../lambdas/domain/strategies/index.ts';
import { toAttributeValue, toItem } from '../../lib/registry/attribute-values.ts';
import { PROVIDER_GRANTS } from '../../lib/registry/provider-grants.ts';
import { registryFile } from '../../lib/stepwise-app.ts';
import { loadRegistry } from '../../registry/load.ts';
import { EXAMPLE_REGISTRY, REAL_PROVIDERS, writeRegistry } from './registries.ts';
import {
  actionsOf,
  buildStepwise,
  configWrites,
  fromItem,
  renderCfn,
  resourcesOf,
  roleStatements,
  synthStepwise,
} from './support.ts';

const configurations = await Promise.all(
  [
    { name: 'the example registry', file: EXAMPLE_REGISTRY },
    { name: 'a registry of every real provider', file: writeRegistry(REAL_PROVIDERS) },
  ].map(async ({ name, file }) => ({
    name,
    registry: await loadRegistry(file),
    ...(await synthStepwise({ context: { config: file } })),
  })),
);

describe.each(configurations)('with $name', ({ registry, app, stack, template, logicalId }) => {
  const writes = configWrites(template);
  const table = renderCfn({ Ref: logicalId(stack.table) });

  it('writes one CONFIG item per service, keyed SERVICE#<name> / CONFIG, in the table', () => {
    expect(
      writes.map((w) => w.create.parameters.Item && fromItem(w.create.parameters.Item).pk).sort(),
    ).toEqual(registry.services.map((s) => `SERVICE#${s.name}`).sort());
    for (const { create } of writes) {
      expect(create).toMatchObject({
        service: 'DynamoDB',
        action: 'putItem',
        parameters: { TableName: table },
      });
      expect(fromItem(create.parameters.Item ?? {}).sk).toBe('CONFIG');
    }
  });

  it("writes toServiceConfig of each entry (the strategy's default plan where it has none), listed in the index", () => {
    for (const entry of registry.services) {
      const write = writes.find((w) => fromItem(w.create.parameters.Item ?? {}).service === entry.name);
      expect(fromItem(write?.create.parameters.Item ?? {})).toEqual({
        pk: `SERVICE#${entry.name}`,
        sk: 'CONFIG',
        // GET /services lists the registry from the byService index.
        gsi1pk: 'REGISTRY',
        gsi1sk: entry.name,
        ...toServiceConfig(entry, (strategy) => defaultStrategyPlan(strategy)),
      });
    }
  });

  it('writes the item again on update, under the same physical id, and deletes it with the service', () => {
    for (const { create, update, delete: remove, resource } of writes) {
      const { pk, sk } = fromItem(create.parameters.Item ?? {});
      expect(update).toEqual(create);
      expect(create.physicalResourceId).toEqual({ id: `${pk}/${sk}` });
      expect(remove).toEqual({
        service: 'DynamoDB',
        action: 'deleteItem',
        parameters: { TableName: table, Key: { pk: { S: pk }, sk: { S: sk } } },
      });
      expect(resource.Properties.InstallLatestAwsSdk).toBe(false);
    }
  });

  it('writes with a role that may only put and delete items of the table and write its own logs', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const [token] = new Set(writes.map((w) => w.resource.Properties.ServiceToken['Fn::GetAtt'][0]));
    const writer = functions[token as string]?.Properties;
    expect(writer.Runtime).toBe('nodejs24.x');
    const role = writer.Role['Fn::GetAtt'][0];
    expect(template.findResources('AWS::IAM::Role')[role]?.Properties.ManagedPolicyArns).toBeUndefined();
    const statements = roleStatements(template, role).filter((s) => !actionsOf(s)[0]?.startsWith('logs:'));
    expect(statements.map((s) => ({ actions: actionsOf(s), resources: resourcesOf(s) }))).toEqual([
      {
        actions: ['dynamodb:DeleteItem', 'dynamodb:PutItem'],
        resources: [{ 'Fn::GetAtt': [logicalId(stack.table), 'Arn'] }],
      },
    ]);
    const logs = roleStatements(template, role).filter((s) => actionsOf(s)[0]?.startsWith('logs:'));
    expect(logs.flatMap(resourcesOf)).toEqual([{ 'Fn::GetAtt': [writer.LoggingConfig.LogGroup.Ref, 'Arn'] }]);
  });

  it('finds nothing unacknowledged with cdk-nag, and synthesizes', () => {
    expect(new AwsSolutionsChecks().validateScope(app).violations.map((v) => v.ruleName)).toEqual([]);
    expect(() => app.synth()).not.toThrow();
  });
});

describe('without registered services', async () => {
  const { template } = await synthStepwise();

  it('writes no configuration and grants no provider permission', () => {
    template.resourceCountIs('Custom::StepwiseServiceConfig', 0);
    expect(
      Object.keys(template.findResources('AWS::IAM::Policy')).filter((id) => id.startsWith('Registry')),
    ).toEqual([]);
  });
});

describe('the registry file', () => {
  const empty = mkdtempSync(join(tmpdir(), 'stepwise-cwd-'));
  const withFile = mkdtempSync(join(tmpdir(), 'stepwise-cwd-'));
  writeFileSync(join(withFile, 'stepwise.config.json'), '{}');

  it('is context config, relative to the working directory', () => {
    expect(registryFile('conf/services.json', empty)).toBe(join(empty, 'conf', 'services.json'));
  });

  it('is stepwise.config.json in the working directory when there is one, else none', () => {
    expect(registryFile(undefined, withFile)).toBe(join(withFile, 'stepwise.config.json'));
    expect(registryFile(undefined, empty)).toBeUndefined();
  });

  it('must be a path when given', () => {
    expect(() => registryFile('', empty)).toThrow(
      'context config must be the path of a registry file, got ""',
    );
  });

  it('fails the synth naming the file when it cannot be read', async () => {
    const missing = join(empty, 'missing.json');
    await expect(buildStepwise({ context: { config: missing } })).rejects.toThrow(
      `${missing} cannot be read: ENOENT`,
    );
  });

  it('fails the synth with the registry message when a provider kind is unknown', async () => {
    const file = writeRegistry({
      services: [
        { name: 'web', environment: 'prod', provider: { kind: 'istio' }, strategy: 'canary', alarms: [] },
      ],
    });
    await expect(buildStepwise({ context: { config: file } })).rejects.toThrow(
      "services[0].provider.kind 'istio' is not a provider; providers: simulated,",
    );
  });
});

describe('an appconfig-flag service', () => {
  it('fails the synth without a deployment strategy, naming the field: no default fits', async () => {
    const [, , , flag] = REAL_PROVIDERS.services;
    const { deploymentStrategyId: _strategy, ...provider } = flag?.provider ?? {};
    const file = writeRegistry({ services: [{ ...flag, provider }] });
    await expect(buildStepwise({ context: { config: file } })).rejects.toThrow(
      'services[0].provider: providerConfig.deploymentStrategyId is required',
    );
  });
});

describe('provider grants', () => {
  it('exist for every provider kind the runtime knows, and no other', () => {
    expect(Object.keys(PROVIDER_GRANTS).sort()).toEqual([...PROVIDER_KINDS].sort());
  });

  it('fail the synth for a kind the CDK app cannot grant', async () => {
    await expect(
      buildStepwise({
        registry: {
          services: [
            { name: 'web', environment: 'prod', provider: { kind: 'nginx' }, strategy: 'canary', alarms: [] },
          ],
        },
      }),
    ).rejects.toThrow("services[0].provider.kind 'nginx' has no IAM grants in the CDK app");
  });

  it('fail the synth naming a missing identifier', async () => {
    await expect(
      buildStepwise({
        registry: {
          services: [
            {
              name: 'web',
              environment: 'prod',
              provider: { kind: 'lambda-alias', functionName: 'web' },
              strategy: 'canary',
              alarms: [],
            },
          ],
        },
      }),
    ).rejects.toThrow('services[0].provider.alias must be a non-empty string, got undefined');
  });
});

describe('CONFIG item attributes', () => {
  it('are marshalled as the DocumentClient marshals JSON, leaving undefined out', () => {
    expect(toItem({ a: 'x', n: 1.5, b: false, z: null, l: [1, 'y'], m: { k: [] }, u: undefined })).toEqual({
      a: { S: 'x' },
      n: { N: '1.5' },
      b: { BOOL: false },
      z: { NULL: true },
      l: { L: [{ N: '1' }, { S: 'y' }] },
      m: { M: { k: { L: [] } } },
    });
  });

  it('refuse what JSON has no form for, naming where', () => {
    expect(() => toAttributeValue({ plan: { bake: Number.NaN } })).toThrow(
      'item.plan.bake must be a finite number',
    );
    expect(() => toAttributeValue({ f: () => 1 })).toThrow('item.f cannot be stored in DynamoDB: function');
  });
});
