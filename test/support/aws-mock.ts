import type { Client, MetadataBearer } from '@smithy/types';
import { type AwsStub, mockClient as stubClient } from 'aws-sdk-client-mock';
import { noteCall } from './aws-calls.ts';

type InstanceOrClass<T> = T | { prototype: T; name: string };

const WRAPPED = Symbol('stepwise.mockedSend');

/**
 * aws-sdk-client-mock's `mockClient`, plus what a mock alone cannot prove: every command sent to
 * the mock is checked against the service's published API model (a missing required member, a
 * misspelt one or a wrong type fails the test that sent it, see test/setup.ts) and recorded for the
 * IAM test with the function that sent it. Tests import it instead of the package's.
 */
export function mockClient<TInput extends object, TOutput extends MetadataBearer, TConfiguration>(
  target: InstanceOrClass<Client<TInput, TOutput, TConfiguration>>,
): AwsStub<TInput, TOutput, TConfiguration> {
  const isClass = typeof target === 'function';
  const instance = (isClass ? (target as { prototype: unknown }).prototype : target) as {
    send: ((...args: unknown[]) => unknown) & { [WRAPPED]?: true };
    constructor: { name: string };
  };
  const clientName = isClass ? (target as { name: string }).name : instance.constructor.name;
  type Stub = AwsStub<TInput, TOutput, TConfiguration>;

  /** A fresh package stub with the check in front of it (the package's `reset` makes a fresh stub too). */
  const attach = (): Stub['send'] => {
    // A mock of this client made earlier: its stub goes, as the package's own mockClient replaces it.
    if (instance.send[WRAPPED]) delete (instance as { send?: unknown }).send;
    const fresh = stubClient(target as never) as Stub;
    const stubbed = instance.send;
    const checked = function (this: { config?: { region?: unknown } }, ...args: unknown[]) {
      const command = args[0] as { input?: unknown; constructor: { name: string } };
      const region = typeof this?.config?.region === 'string' ? this.config.region : 'eu-west-1';
      noteCall(clientName, command.constructor.name, command.input, region);
      return stubbed.apply(this, args);
    } as typeof instance.send;
    checked[WRAPPED] = true;
    instance.send = checked;
    return fresh.send;
  };

  const stub = stubClient(target as never) as Stub;
  (instance.send as { restore?: () => void }).restore?.();
  stub.send = attach();
  stub.reset = function (this: Stub) {
    this.send.restore();
    this.send = attach();
    return this;
  };
  return stub;
}
