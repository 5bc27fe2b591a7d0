import { awsControlDeps } from '../../adapters/aws-control-deps.ts';
import { makeApiHandler } from '../../api/handler.ts';

const { deps, config, dynamodb } = awsControlDeps('stepwise-api');

/** Lambda entry: the Stepwise REST API behind API Gateway (IAM auth). */
export const handler = makeApiHandler(deps, {
  idempotency: { client: dynamodb, tableName: config.TABLE_NAME },
  ...(config.REGISTRY_HOST ? { registryHost: config.REGISTRY_HOST } : {}),
});
