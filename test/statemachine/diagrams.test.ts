import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diagramOf, redrawn, STRATEGIES_DOC } from '../../scripts/diagrams.ts';

describe('the state diagrams in docs/strategies.md', () => {
  it('are what the ASL files draw (npm run diagrams redraws them)', () => {
    const doc = readFileSync(STRATEGIES_DOC, 'utf8');
    expect(redrawn(doc)).toBe(doc);
  });

  it('draw a Choice rule of several conditions, and a catch, in words', () => {
    const diagram = diagramOf({
      StartAt: 'Which step?',
      States: {
        'Which step?': {
          Type: 'Choice',
          Choices: [
            {
              And: [
                { Variable: '$.check.healthy', IsPresent: true },
                { Variable: '$.check.healthy', BooleanEquals: false },
              ],
              Next: 'Roll back',
            },
          ],
          Default: 'Bake',
        },
        Bake: { Type: 'Task', Catch: [{ ErrorEquals: ['Stepwise.AlarmFired'], Next: 'Roll back' }] },
        'Roll back': { Type: 'Fail' },
      },
    });
    expect(diagram).toContain('which_step --> roll_back : check.healthy present and check.healthy = false');
    expect(diagram).toContain('bake --> roll_back : catch AlarmFired');
    expect(diagram).toContain('roll_back --> [*]');
  });
});
