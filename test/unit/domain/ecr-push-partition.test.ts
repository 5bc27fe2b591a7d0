import { describe, expect, it } from 'vitest';
import { readEcrEvent } from '../../../lambdas/domain/ecr-push.ts';
import { DOCUMENTED_PUSH } from '../../samples/ecr-events.ts';

const DIGEST = `sha256:${'7f5b2640'.repeat(8)}`;

const registryIn = (region: string) => {
  const reading = readEcrEvent({
    ...DOCUMENTED_PUSH,
    region,
    detail: { ...DOCUMENTED_PUSH.detail, 'image-digest': DIGEST },
  });
  if (!('push' in reading)) throw new Error(reading.ignored);
  return reading.push.registry;
};

describe('the registry host of an ECR push', () => {
  it("ends in the DNS suffix of the event region's partition", () => {
    expect(registryIn('cn-north-1')).toBe(
      '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/my-repository-name',
    );
    expect(registryIn('cn-northwest-1')).toBe(
      '123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn/my-repository-name',
    );
    expect(registryIn('us-gov-west-1')).toBe(
      '123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/my-repository-name',
    );
    expect(registryIn('eu-west-1')).toBe('123456789012.dkr.ecr.eu-west-1.amazonaws.com/my-repository-name');
  });
});
