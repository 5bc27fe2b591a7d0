import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import type { RegistryFile } from '../../lambdas/domain/registry.ts';
import { PROJECT_ROOT } from '../../lib/project-paths.ts';
import { createStepwiseApp } from '../../lib/stepwise-app.ts';

const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
  context: Record<string, unknown>;
};

export interface BuildOptions {
  /** Context on top of cdk.json's (`config`, `example`, ...). */
  readonly context?: Record<string, unknown>;
  /** @default - no services, unless context `config` names a registry file */
  readonly registry?: RegistryFile;
}

/** The account and region the tests deploy to, given as `cdk synth -c account=... -c region=...` would. */
export const TEST_ACCOUNT = '123456789012';
export const TEST_REGION = 'eu-west-1';

/**
 * The app as `cdk synth` builds it (cdk.json's feature flags, cdk-nag registered) except that no
 * stack is bundled: the function code is not what these tests look at, and esbuild costs seconds.
 * Without context `config` it has no services, whatever stepwise.config.json the working directory holds.
 * The account and region are set explicitly, never taken from the machine's AWS configuration.
 */
export function buildStepwise(options: BuildOptions = {}) {
  const context: Record<string, unknown> = {
    ...cdkJson.context,
    'aws:cdk:bundling-stacks': [],
    account: TEST_ACCOUNT,
    region: TEST_REGION,
    ...options.context,
  };
  const registry = options.registry ?? (context.config === undefined ? { services: [] } : undefined);
  return createStepwiseApp({ context, registry });
}

export async function synthStepwise(options: BuildOptions = {}) {
  const { app, stack } = await buildStepwise(options);
  const template = Template.fromStack(stack);
  /** The logical id of an L2 construct's CloudFormation resource. */
  const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
  return { app, stack, template, logicalId };
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every statement a role carries: its inline policies and each AWS::IAM::Policy attached to it. */
export function roleStatements(template: Template, roleLogicalId: string): Statement[] {
  const role = template.findResources('AWS::IAM::Role')[roleLogicalId];
  if (!role) throw new Error(`no role ${roleLogicalId}`);
  const inline = (role.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
  const attached = [
    ...Object.values(template.findResources('AWS::IAM::Policy')),
    ...Object.values(template.findResources('AWS::IAM::ManagedPolicy')),
  ].filter((policy) =>
    ((policy.Properties.Roles ?? []) as unknown[]).some(
      (ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleLogicalId }),
    ),
  );
  return [...inline, ...attached.map((policy) => policy.Properties)].flatMap(
    (policy: { PolicyDocument: { Statement: Statement[] } }) => policy.PolicyDocument.Statement,
  );
}

export const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

export const resourcesOf = (statement: Statement): unknown[] =>
  Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];

/** One line per action and resource the statements allow, sorted: `action on resource [if condition]`. */
export function grantLines(statements: Statement[]): string[] {
  return statements
    .flatMap((statement) => {
      const condition = (statement as { Condition?: unknown }).Condition;
      const suffix = condition ? ` if ${JSON.stringify(condition)}` : '';
      return actionsOf(statement).flatMap((action) =>
        resourcesOf(statement).map((resource) => `${action} on ${renderCfn(resource)}${suffix}`),
      );
    })
    .sort();
}

export interface AslState {
  Type: string;
  Resource?: string;
  TimeoutSeconds?: number;
  Parameters?: { FunctionName?: string };
  Branches?: { States: Record<string, AslState> }[];
  Iterator?: { States: Record<string, AslState> };
  ItemProcessor?: { States: Record<string, AslState> };
}

/** Every state of a definition by name, including those inside Parallel branches and Map iterators. */
export function allStates(states: Record<string, AslState>): [string, AslState][] {
  return Object.entries(states).flatMap(([name, state]) => [
    [name, state] as [string, AslState],
    ...[...(state.Branches ?? []), state.Iterator, state.ItemProcessor]
      .filter((inner) => inner !== undefined)
      .flatMap((inner) => allStates(inner.States)),
  ]);
}

/**
 * A resolved CloudFormation value as one string, intrinsics written `<Ref:Id>`, `<Id.Attr>`,
 * `<Output:Name>`, `<Split/Select:...>`, so a template value and an expected one read alike.
 */
export function renderCfn(value: unknown): string {
  if (typeof value === 'string') return value;
  const fn = value as Record<string, unknown>;
  if (fn['Fn::Join']) {
    const [delimiter, parts] = fn['Fn::Join'] as [string, unknown[]];
    return parts.map(renderCfn).join(delimiter);
  }
  if (fn.Ref !== undefined) return `<Ref:${fn.Ref}>`;
  if (fn['Fn::GetAtt']) return `<${(fn['Fn::GetAtt'] as string[]).join('.')}>`;
  if (fn['Fn::GetStackOutput'])
    return `<Output:${(fn['Fn::GetStackOutput'] as { OutputName: string }).OutputName}>`;
  return `<${JSON.stringify(value)}>`;
}

type AttributeValue = { S?: string; N?: string; BOOL?: boolean; NULL?: true; L?: AttributeValue[]; M?: Item };
type Item = Record<string, AttributeValue>;

/** A DynamoDB item back as plain JSON (the test's own reading of the low-level format). */
export function fromItem(item: Item): Record<string, unknown> {
  const value = (v: AttributeValue): unknown => {
    if (v.S !== undefined) return v.S;
    if (v.N !== undefined) return Number(v.N);
    if (v.BOOL !== undefined) return v.BOOL;
    if (v.NULL) return null;
    if (v.L) return v.L.map(value);
    if (v.M) return fromItem(v.M);
    throw new Error(`not an attribute value: ${JSON.stringify(v)}`);
  };
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, value(v)]));
}

export interface SdkCall {
  service: string;
  action: string;
  parameters: { TableName: string; Item?: Item; Key?: Item };
  physicalResourceId?: { id: string };
}

/** The SDK calls of each service's configuration custom resource, by service name. */
export function configWrites(template: Template) {
  return Object.values(template.findResources('Custom::StepwiseServiceConfig')).map((resource) => {
    const call = (phase: string) => JSON.parse(renderCfn(resource.Properties[phase])) as SdkCall;
    return { create: call('Create'), update: call('Update'), delete: call('Delete'), resource };
  });
}
