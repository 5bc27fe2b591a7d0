import { readdirSync, readFileSync } from 'node:fs';
import validator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { withPartition } from '../../lib/strategies/placeholders.ts';

const dir = new URL('../../statemachines/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.asl.json'));

describe('state machine files', () => {
  it('exist', () => {
    expect(files).toContain('canary.asl.json');
  });

  describe.each(files)('%s', (file) => {
    // As Step Functions runs it in the aws partition (the stack substitutes its own).
    const definition = JSON.parse(withPartition(readFileSync(new URL(file, dir), 'utf8'), 'aws'));
    const states = Object.entries(definition.States) as [string, Record<string, unknown>][];

    it('is valid Amazon States Language', () => {
      const result = validator(definition, { checkArn: true, checkPaths: true });
      expect(result.errorsText()).toBe('');
      expect(result.isValid).toBe(true);
    });

    it('has an overall timeout', () => {
      expect(definition.TimeoutSeconds).toBeGreaterThan(0);
    });

    it('retries transient errors and catches everything else in every Task', () => {
      for (const [name, state] of states.filter(([, s]) => s.Type === 'Task')) {
        const retry = state.Retry as { ErrorEquals: string[] }[] | undefined;
        const caught = (state.Catch as { ErrorEquals: string[] }[] | undefined)?.flatMap(
          (c) => c.ErrorEquals,
        );
        expect(retry?.length, `${name} has Retry`).toBeGreaterThan(0);
        expect(caught, `${name} catches States.ALL`).toContain('States.ALL');
        const timeout = state.TimeoutSeconds ?? (state.TimeoutSecondsPath ? 1 : 0);
        expect(timeout, `${name} has a timeout`).toBeGreaterThan(0);
      }
    });

    it('names every Lambda and child state machine through a placeholder substitution, never a hard-coded ARN', () => {
      const tasks = (list: [string, Record<string, unknown>][]): [string, Record<string, unknown>][] =>
        list.flatMap(([name, state]) => {
          const inner = (
            state.ItemProcessor as { States?: Record<string, Record<string, unknown>> } | undefined
          )?.States;
          return [
            ...(state.Type === 'Task' ? [[name, state] as [string, Record<string, unknown>]] : []),
            ...(inner ? tasks(Object.entries(inner)) : []),
          ];
        });
      for (const [name, state] of tasks(states)) {
        const parameters = state.Parameters as {
          FunctionName?: string;
          StateMachineArn?: string;
          'StateMachineArn.$'?: string;
        };
        if (String(state.Resource).startsWith('arn:aws:states:::lambda:invoke')) {
          expect(parameters.FunctionName, name).toMatch(/^\$\{[A-Za-z]+FunctionArn\}$/);
        } else {
          expect(state.Resource, name).toBe('arn:aws:states:::states:startExecution.sync:2');
          const arn = parameters.StateMachineArn ?? parameters['StateMachineArn.$'];
          expect(arn, name).toMatch(/^(\$\{[A-Za-z]+StateMachineArn\}|\$\.[\w.]+)$/);
        }
      }
    });

    it('uses JSONPath only (the embedded engine runs no JSONata)', () => {
      expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
      for (const [, state] of states) {
        expect(state).not.toHaveProperty('Arguments');
        expect(state).not.toHaveProperty('Assign');
      }
    });
  });
});
