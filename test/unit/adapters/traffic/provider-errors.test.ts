import { describe, expect, it } from 'vitest';
import { type ErrorReading, rethrow } from '../../../../lambdas/adapters/traffic/provider-errors.ts';
import {
  ConflictError,
  ProviderError,
  ResourceNotFoundError,
  TransientError,
} from '../../../../lambdas/domain/errors.ts';

/** An SDK service exception as the clients throw it: a name, a message and `$metadata`. */
const serviceError = (name: string, message = 'no') =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });

const reading: ErrorReading = {
  meanings: {
    WidgetNotFound: 'not-found',
    WidgetBusy: 'conflict',
    WidgetHiccup: 'transient',
    WidgetForbidden: 'refused',
  },
  wording: { 'not-found': ({ what }) => `${what}: the widget is gone` },
};

const thrown = (r: ErrorReading, error: unknown) => {
  try {
    rethrow(r, error, 'UpdateWidget w-1');
  } catch (e) {
    return e as Error;
  }
  throw new Error('rethrow returned');
};

describe('one reading of a provider’s AWS errors', () => {
  it.each([
    ['WidgetNotFound', ResourceNotFoundError, 'UpdateWidget w-1: the widget is gone'],
    ['WidgetBusy', ConflictError, 'UpdateWidget w-1: WidgetBusy: no'],
    ['WidgetHiccup', TransientError, 'UpdateWidget w-1: WidgetHiccup: no'],
    ['WidgetForbidden', ProviderError, 'UpdateWidget w-1: WidgetForbidden: no'],
  ] as const)(
    'gives %s the Stepwise error the state machine matches, worded by the provider',
    (name, type, message) => {
      const error = thrown(reading, serviceError(name));
      expect(error).toBeInstanceOf(type);
      expect(error.message).toBe(message);
      expect((error as { cause?: unknown }).cause).toMatchObject({ name });
    },
  );

  it('leaves throttling to the shared rule and rethrows what it does not know as it is', () => {
    expect(thrown(reading, serviceError('ThrottlingException'))).toBeInstanceOf(TransientError);
    const unknown = serviceError('SomethingElse');
    expect(thrown(reading, unknown)).toBe(unknown);
  });

  it('refuses any other service error when the provider says so, but never a bug of ours', () => {
    const strict = { ...reading, refuseOtherServiceErrors: true };
    expect(thrown(strict, serviceError('SomethingElse'))).toBeInstanceOf(ProviderError);
    const bug = new TypeError('x is undefined');
    expect(thrown(strict, bug)).toBe(bug);
  });
});
