import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** A resource with a wildcard (`*`, or an ARN pattern) and why no narrower one would do. */
export interface WildcardResource {
  readonly resource: string;
  readonly reason: string;
}

/**
 * A policy resource as cdk-nag names it in an AwsSolutions-IAM5 finding: the resolved value
 * flattened the way cdk-nag's flattenCfnReference does (not exported by cdk-nag 3): `Ref` →
 * `<Name>`, `Fn::GetAtt` → `<Name.Attribute>`, `Fn::Join` joined, any other intrinsic as JSON.
 * Resolved in `scope`'s stack when called: a token of another stack resolves differently once CDK
 * turns it into a cross-stack reference, so a wildcard resource acknowledged this way holds tokens of
 * its own stack only (the example workload's do).
 */
export function nagResourceFinding(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(resource))}]`;
}

/**
 * Acknowledges the AwsSolutions-IAM5 finding of each wildcard resource on `policy` (the construct
 * cdk-nag reports: a Policy, or a Role's `Resource` for its inline policies). Wildcards that flatten
 * to the same finding (several `*` grants) are acknowledged once, with their reasons joined.
 */
export function acknowledgeWildcards(policy: IConstruct, wildcards: readonly WildcardResource[]): void {
  const reasons = new Map<string, Set<string>>();
  for (const { resource, reason } of wildcards) {
    const finding = nagResourceFinding(policy, resource);
    reasons.set(finding, (reasons.get(finding) ?? new Set()).add(reason));
  }
  for (const [finding, why] of reasons) {
    Validations.of(policy).acknowledge({ id: finding, reason: [...why].join(' ') });
  }
}

function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\${/g, '<').replace(/}/g, '>');
  const fn = node as Record<string, unknown>;
  if (fn['Fn::Join']) {
    const [delimiter, items] = fn['Fn::Join'] as [string, unknown[]];
    return items.map(flatten).join(delimiter);
  }
  if (fn['Fn::Sub']) return flatten(fn['Fn::Sub']);
  if (fn['Fn::GetAtt']) {
    const [resource, attribute] = fn['Fn::GetAtt'] as [unknown, unknown];
    return `<${flatten(resource)}.${flatten(attribute)}>`;
  }
  if (fn['Fn::ImportValue']) return flatten(fn['Fn::ImportValue']);
  if (fn.Ref) return `<${flatten(fn.Ref)}>`;
  return JSON.stringify(node);
}
