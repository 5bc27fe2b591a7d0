/**
 * A DynamoDB attribute value in the low-level API's JSON form, as the PutItem call of an
 * AwsCustomResource takes it (the custom resource passes parameters to the SDK as they are).
 */
export type AttributeValue =
  | { S: string }
  | { N: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { L: AttributeValue[] }
  | { M: Record<string, AttributeValue> };

/**
 * Marshals a JSON value the way the DocumentClient does (`@aws-sdk/lib-dynamodb`, which the
 * runtime reads the item with): strings to S, numbers to N, booleans to BOOL, null to NULL,
 * arrays to L, objects to M. `undefined` properties are left out (`removeUndefinedValues`).
 * Throws on anything JSON has no form for.
 */
export function toAttributeValue(value: unknown, path = 'item'): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${path} must be a finite number, got ${value}`);
    return { N: String(value) };
  }
  if (typeof value === 'boolean') return { BOOL: value };
  if (value === null) return { NULL: true };
  if (Array.isArray(value)) return { L: value.map((item, i) => toAttributeValue(item, `${path}[${i}]`)) };
  if (typeof value === 'object') return { M: toItem(value as Record<string, unknown>, path) };
  throw new Error(`${path} cannot be stored in DynamoDB: ${typeof value}`);
}

/** The attributes of an item: `toAttributeValue` of each defined property. */
export function toItem(value: Record<string, unknown>, path = 'item'): Record<string, AttributeValue> {
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, toAttributeValue(v, `${path}.${k}`)]),
  );
}
