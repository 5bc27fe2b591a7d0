import type { AppConfigClient } from '@aws-sdk/client-appconfig';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { ProviderLimits } from '../../domain/requests.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Store } from '../../ports/store.ts';
import type { TrafficProvider } from '../../ports/traffic.ts';

/** The AWS clients the real providers use, made once per Lambda container. */
export interface AwsProviderClients {
  ecs: ECSClient;
  elbv2: ElasticLoadBalancingV2Client;
  lambda: LambdaClient;
  appconfig: AppConfigClient;
}

/** What a provider is made from: the table (the simulated one keeps its routes there), the clock, the AWS clients. */
export interface ProviderDeps {
  store: Store;
  clock: Clock;
  /** The AWS clients, asked for only when a real provider is used (the local runtime has none). */
  aws: () => AwsProviderClients;
}

/**
 * What every provider folder exports (`<kind>/descriptor.ts`): its kind, the check of its
 * resource identifiers, what it cannot do with a given config and why (the capabilities it lacks,
 * which `config validate`, the CDK app, the API and Start deployment hold strategies against), and
 * how it is made. The IAM each kind needs is in lib/registry/provider-grants.ts, as data.
 */
export interface ProviderDescriptor {
  readonly kind: string;
  /** Checks its resource identifiers (the registry's `provider` object, less `kind`); throws naming the field. */
  checkConfig(config: Record<string, unknown>): void;
  /** What it cannot do with `config`, and why. */
  readonly limits: ProviderLimits;
  /** The provider for `config`. */
  create(config: Record<string, unknown>, deps: ProviderDeps): TrafficProvider;
}
