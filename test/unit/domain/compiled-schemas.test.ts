import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import * as compiled from '../../../lambdas/domain/compiled-schemas.js';
import { SCHEMA_CATALOG } from '../../../lambdas/domain/schema-catalog.ts';
import {
  COMPILED_SCHEMA_TYPES,
  COMPILED_SCHEMAS,
  compiledSchemasSource,
  compiledSchemaTypes,
} from '../../../scripts/schemas.ts';
import { deploymentRequest } from '../fixtures.ts';

describe('the compiled schemas (npm run schemas)', () => {
  it('are what the schemas compile to: a schema changed without npm run schemas fails here', () => {
    expect(readFileSync(COMPILED_SCHEMAS, 'utf8')).toBe(compiledSchemasSource());
    expect(readFileSync(COMPILED_SCHEMA_TYPES, 'utf8')).toBe(compiledSchemaTypes());
  });

  it('judge as ajv compiling the schema at run time does, with the same first error', () => {
    const ajv = new Ajv({ allErrors: false, strict: true, verbose: true });
    const runtime = ajv.compile(SCHEMA_CATALOG.deploymentRequest as object);
    const good = deploymentRequest();
    const bad = { ...good, service: 'Not A Name' };
    for (const value of [good, bad, { ...good, surprise: 1 }, {}, null]) {
      expect(compiled.deploymentRequest(value)).toBe(runtime(value));
      expect(compiled.deploymentRequest.errors ?? null).toEqual(runtime.errors ?? null);
    }
    expect(compiled.deploymentRequest(bad)).toBe(false);
  });

  it('export one validator per schema of the catalog', () => {
    expect(Object.keys(compiled).sort()).toEqual(Object.keys(SCHEMA_CATALOG).sort());
  });
});
