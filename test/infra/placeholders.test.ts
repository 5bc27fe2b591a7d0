import { describe, expect, it } from 'vitest';
import { checkSubstitutions, findPlaceholders } from '../../lib/strategies/placeholders.ts';

/** `${name}`, as a state-machine definition writes a placeholder. */
const ref = (name: string) => `\${${name}}`;

const definition = JSON.stringify({
  StartAt: 'A',
  States: {
    A: { Type: 'Task', Parameters: { FunctionName: ref('AFunctionArn') }, Next: 'B' },
    B: { Type: 'Task', Parameters: { FunctionName: ref('BFunctionArn') }, Next: 'C' },
    C: { Type: 'Task', Parameters: { FunctionName: ref('AFunctionArn') }, End: true },
  },
});

describe('findPlaceholders', () => {
  it('lists each placeholder once, in order of first use', () => {
    expect(findPlaceholders(definition)).toEqual(['AFunctionArn', 'BFunctionArn']);
  });

  it('finds none in a definition without placeholders', () => {
    expect(findPlaceholders('{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}')).toEqual([]);
  });
});

describe('checkSubstitutions', () => {
  it('accepts substitutions that match the placeholders exactly', () => {
    expect(() =>
      checkSubstitutions(definition, { AFunctionArn: 'a', BFunctionArn: 'b' }, 'x.asl.json'),
    ).not.toThrow();
  });

  it('throws naming a placeholder that has no substitution', () => {
    expect(() => checkSubstitutions(definition, { AFunctionArn: 'a' }, 'x.asl.json')).toThrow(
      `definition substitutions do not match x.asl.json: no substitution for ${ref('BFunctionArn')}`,
    );
  });

  it('throws naming a substitution that no placeholder uses', () => {
    expect(() =>
      checkSubstitutions(
        definition,
        { AFunctionArn: 'a', BFunctionArn: 'b', CFunctionArn: 'c' },
        'x.asl.json',
      ),
    ).toThrow('definition substitutions do not match x.asl.json: unused substitutions CFunctionArn');
  });

  it('names every missing and every unused name in one message', () => {
    expect(() =>
      checkSubstitutions(definition, { CFunctionArn: 'c', DFunctionArn: 'd' }, 'x.asl.json'),
    ).toThrow(
      `no substitution for ${ref('AFunctionArn')}, ${ref('BFunctionArn')}; unused substitutions CFunctionArn, DFunctionArn`,
    );
  });
});
