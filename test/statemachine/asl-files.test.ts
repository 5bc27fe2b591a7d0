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

    it('names every Lambda, child state machine and table through a placeholder substitution, never a hard-coded ARN', () => {
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
        } else if (String(state.Resource).startsWith('arn:aws:states:::aws-sdk:')) {
          // The Bake's own write: to the Stepwise table, through its placeholder.
          expect(state.Resource, name).toBe('arn:aws:states:::aws-sdk:dynamodb:putItem.waitForTaskToken');
          expect((state.Parameters as { TableName?: string }).TableName, name).toBe('${TableName}');
        } else {
          expect(state.Resource, name).toBe('arn:aws:states:::states:startExecution.sync:2');
          const arn = parameters.StateMachineArn ?? parameters['StateMachineArn.$'];
          expect(arn, name).toMatch(/^(\$\{[A-Za-z]+StateMachineArn\}|\$\.[\w.]+)$/);
        }
      }
    });

    it("points every Fail state's ErrorPath and CausePath at a string each state before it always sets", () => {
      // On AWS a path that selects nothing, or no string, fails the execution States.Runtime (F5).
      // What sets them: a Catch's ResultPath (`{ Error, Cause }`, both strings), or Record event,
      // which always gives an outcome that did not succeed a cause (its unit test says so).
      const scopes = (
        list: Record<string, Record<string, unknown>>,
      ): Record<string, Record<string, unknown>>[] => [
        list,
        ...Object.values(list).flatMap((state) => {
          const inner = (
            state.ItemProcessor as { States?: Record<string, Record<string, unknown>> } | undefined
          )?.States;
          return inner ? scopes(inner) : [];
        }),
      ];
      type Route = { from: string; state: Record<string, unknown>; catcher?: { ResultPath?: string } };
      /** The states that hand `name` its input; a Choice or Wait hands on its own input, so its sources count. */
      const sources = (
        scope: Record<string, Record<string, unknown>>,
        name: string,
        seen = new Set<string>(),
      ): Route[] =>
        Object.entries(scope).flatMap(([from, s]): Route[] => {
          const catches = (s.Catch as { Next: string; ResultPath?: string }[] | undefined) ?? [];
          const choices = [
            ...((s.Choices as { Next: string }[] | undefined) ?? []).map((c) => c.Next),
            s.Default,
          ];
          const caught = catches
            .filter((c) => c.Next === name)
            .map((catcher) => ({ from, state: s, catcher }));
          const next = s.Next === name || choices.includes(name);
          if (!next) return caught;
          if ((s.Type === 'Choice' || s.Type === 'Wait') && !seen.has(from)) {
            return [...caught, ...sources(scope, from, new Set([...seen, from]))];
          }
          return [...caught, { from, state: s }];
        });
      for (const scope of scopes(definition.States)) {
        for (const [name, state] of Object.entries(scope).filter(([, s]) => s.Type === 'Fail')) {
          for (const path of [state.ErrorPath, state.CausePath].filter((p): p is string => Boolean(p))) {
            const field = path.slice(path.lastIndexOf('.') + 1);
            const holder = path.slice(0, path.lastIndexOf('.'));
            const routes = sources(scope, name);
            expect(routes.length, `${name} is reached`).toBeGreaterThan(0);
            for (const route of routes) {
              const where = `${name}.${path === state.ErrorPath ? 'ErrorPath' : 'CausePath'} from ${route.from}`;
              if (route.catcher) {
                expect(route.catcher.ResultPath, where).toBe(holder);
                expect(['Error', 'Cause'], where).toContain(field);
              } else {
                const parameters = route.state.Parameters as { FunctionName?: string } | undefined;
                expect(parameters?.FunctionName, where).toMatch(/^\$\{RecordEventFunctionArn\}$/);
                expect(route.state.OutputPath, where).toBe('$.Payload');
                expect(path, where).toBe('$.outcome.cause');
              }
            }
          }
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
