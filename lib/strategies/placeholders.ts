const PLACEHOLDER = /\$\{([^}]*)\}/g;

/**
 * The placeholder of the AWS partition in the definitions' `arn:${Partition}:states:::…` task
 * resources: the stack fills it with `AWS::Partition` (aws, aws-cn, aws-us-gov), the local runtime
 * with `aws`.
 */
export const PARTITION_PLACEHOLDER = 'Partition';

/**
 * The placeholder of the Stepwise table's name in the definitions' `aws-sdk:dynamodb:*` tasks (the
 * Bake state writes its task token there): the stack fills it with the table's name, the local
 * runtime with its own table's.
 */
export const TABLE_PLACEHOLDER = 'TableName';

/** The `aws-sdk:<service>:<action>` integrations a definition's Task states call, as IAM actions (`dynamodb:PutItem`). */
export function sdkActions(definition: string): string[] {
  const found = Array.from(
    definition.matchAll(
      /"arn:\$\{Partition\}:states:::aws-sdk:([a-z0-9]+):([a-zA-Z0-9]+)(?:\.waitForTaskToken)?"/g,
    ),
    (match) => `${match[1]}:${(match[2] ?? '').charAt(0).toUpperCase()}${(match[2] ?? '').slice(1)}`,
  );
  return [...new Set(found)];
}

/** A definition with its partition placeholder filled, as Step Functions will run it there. */
export function withPartition(definition: string, partition: string): string {
  return definition.replaceAll(`\${${PARTITION_PLACEHOLDER}}`, partition);
}

/** The distinct `${Name}` placeholders of a state-machine definition, in order of first use. */
export function findPlaceholders(definition: string): string[] {
  return [...new Set(Array.from(definition.matchAll(PLACEHOLDER), (match) => match[1] ?? ''))];
}

/**
 * Throws unless every `${Placeholder}` in `definition` has a substitution and every substitution is
 * used. Step Functions would otherwise leave the literal `${...}` in a Task (found only when that Task
 * runs) or silently ignore the extra one. The message names all the bad names and `source`.
 */
export function checkSubstitutions(
  definition: string,
  substitutions: Readonly<Record<string, unknown>>,
  source: string,
): void {
  const used = findPlaceholders(definition);
  const missing = used.filter((name) => !Object.hasOwn(substitutions, name));
  const unused = Object.keys(substitutions).filter((name) => !used.includes(name));
  if (missing.length === 0 && unused.length === 0) return;
  const problems = [
    ...(missing.length > 0 ? [`no substitution for ${missing.map((name) => `\${${name}}`).join(', ')}`] : []),
    ...(unused.length > 0 ? [`unused substitutions ${unused.join(', ')}`] : []),
  ];
  throw new Error(`definition substitutions do not match ${source}: ${problems.join('; ')}`);
}
