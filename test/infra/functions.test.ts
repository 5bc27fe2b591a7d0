import { describe, expect, it } from 'vitest';
import { TASKS } from '../../lambdas/tasks.ts';
import { synthStepwise } from './support.ts';

const { stack, template, logicalId } = await synthStepwise();

describe('the task functions', () => {
  it('are one per task, beside the four control functions', () => {
    template.resourceCountIs('AWS::Lambda::Function', TASKS.length + 4);
  });

  describe.each(TASKS)('$id', (task) => {
    const taskFunction = stack.tasks.get(task.id);
    const fn = template.findResources('AWS::Lambda::Function')[logicalId(taskFunction.function)];

    it('runs on Node.js 24 on arm64 with active tracing', () => {
      expect(fn?.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Handler: 'index.handler',
      });
    });

    it('gets the table name and its Powertools settings from the environment', () => {
      expect(fn?.Properties.Environment.Variables).toEqual({
        TABLE_NAME: { Ref: logicalId(stack.table) },
        POWERTOOLS_SERVICE_NAME: `stepwise-${task.entry.replace(/\.ts$/, '')}`,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
    });

    it('logs JSON to its own log group, kept for 90 days', () => {
      expect(fn?.Properties.LoggingConfig).toEqual({
        LogFormat: 'JSON',
        ApplicationLogLevel: 'INFO',
        LogGroup: { Ref: logicalId(taskFunction.logGroup) },
      });
      const logGroup = template.findResources('AWS::Logs::LogGroup')[logicalId(taskFunction.logGroup)];
      expect(logGroup?.Properties.RetentionInDays).toBe(90);
    });
  });
});
