import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import httpRouterHandler from '@middy/http-router';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { EXPIRY_ATTRIBUTE, IDEMPOTENCY_PARTITION, TABLE_KEYS } from '../adapters/dynamodb/table.ts';
import type { ControlDeps } from '../control/deps.ts';
import { clip, DEPLOYMENT_ID_PATTERN, SERVICE_NAME_PATTERN, shown } from '../domain/schemas.ts';
import { HttpError, header, json, principalOf, toHttpError } from './http.ts';
import { type ApiOptions, ROUTES, type RouteHandler } from './routes.ts';

export interface ApiHandlerOptions extends ApiOptions {
  /** Where POSTs with an `Idempotency-Key` keep their first response (the Stepwise table). @default none: keys are ignored */
  idempotency?: { client: DynamoDBClient; tableName: string };
}

/** Replays are answered for a day; after that the same key is a new request. */
const IDEMPOTENCY_SECONDS = 86_400;

const PATH_PARAMETERS: Record<string, { pattern: RegExp; what: string }> = {
  id: { pattern: new RegExp(DEPLOYMENT_ID_PATTERN), what: 'a deployment id ([A-Za-z0-9._-], at most 80)' },
  name: {
    pattern: new RegExp(SERVICE_NAME_PATTERN),
    what: 'a service name (lowercase letters, digits, dashes)',
  },
};

/**
 * The query, once each parameter is known to the route and given once: `?service=a&service=b`
 * would otherwise mean whichever the proxy kept, and a misspelt `?staus=` would silently filter nothing.
 */
function checkQuery(
  event: APIGatewayProxyEvent,
  route: string,
  allowed: readonly string[],
): Record<string, string> {
  const single = (event.queryStringParameters ?? {}) as Record<string, string>;
  const multi = (event.multiValueQueryStringParameters ?? {}) as Record<string, string[]>;
  for (const name of new Set([...Object.keys(single), ...Object.keys(multi)])) {
    if (!allowed.includes(name)) {
      throw new HttpError(
        400,
        'InvalidRequest',
        `query ${clip(name)} is not a parameter of ${route}${allowed.length > 0 ? `; parameters: ${allowed.join(', ')}` : ': it takes none'}`,
      );
    }
    const count = multi[name]?.length ?? 1;
    if (count > 1) {
      throw new HttpError(400, 'InvalidRequest', `query ${name} is given ${count} times: give it once`);
    }
  }
  return single;
}

/** A path parameter that cannot name anything is a 400 before any read. */
function checkPathParameters(params: Record<string, string>): void {
  for (const [key, value] of Object.entries(params)) {
    const rule = PATH_PARAMETERS[key];
    if (rule && !rule.pattern.test(value)) {
      throw new HttpError(400, 'InvalidRequest', `path ${key} must be ${rule.what}, got ${shown(value)}`);
    }
  }
}

type IdempotentCall = { key: string; payload: unknown; run: () => Promise<APIGatewayProxyResult> };

/**
 * The Stepwise API, one Lambda behind API Gateway (REST, IAM auth) and, unchanged, behind the
 * local server: routes by method and path (`@middy/http-router`), validates every body, and
 * answers errors as `{ "error": CODE, "message": ... }`. A POST with an `Idempotency-Key` runs
 * once: a retry gets the first response (Powertools idempotency over the Stepwise table), and the
 * same key with another body is refused (422).
 */
export function makeApiHandler(deps: ControlDeps, options: ApiHandlerOptions = {}) {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'key',
    payloadValidationJmesPath: 'payload',
    expiresAfterSeconds: IDEMPOTENCY_SECONDS,
  });
  const once = options.idempotency
    ? makeIdempotent(async (call: IdempotentCall) => call.run(), {
        persistenceStore: new DynamoDBPersistenceLayer({
          tableName: options.idempotency.tableName,
          awsSdkV3Client: options.idempotency.client,
          keyAttr: TABLE_KEYS.partitionKey,
          sortKeyAttr: TABLE_KEYS.sortKey,
          staticPkValue: IDEMPOTENCY_PARTITION,
          expiryAttr: EXPIRY_ATTRIBUTE,
        }),
        config,
      })
    : undefined;

  const run =
    (route: { method: string; path: string; handler: RouteHandler; query: readonly string[] }) =>
    async (event: APIGatewayProxyEvent, context: Context) => {
      const { handler } = route;
      const key = header(event, 'Idempotency-Key');
      if (key !== undefined && !/^[\x21-\x7e]{1,255}$/.test(key)) {
        throw new HttpError(
          400,
          'InvalidRequest',
          'header Idempotency-Key must be 1 to 255 visible ASCII characters',
        );
      }
      const params = (event.pathParameters ?? {}) as Record<string, string>;
      checkPathParameters(params);
      const request = {
        event,
        params,
        query: checkQuery(event, `${route.method} ${route.path}`, route.query),
        principal: principalOf(event),
        ...(key ? { idempotencyKey: key } : {}),
      };
      const call = () => handler(deps, request, options);
      if (event.httpMethod !== 'POST' || !key || !once) return call();
      config.registerLambdaContext(context);
      return once({
        key: `${event.httpMethod} ${event.path} ${request.principal} ${key}`,
        payload: event.body ?? '',
        run: call,
      });
    };

  const router = httpRouterHandler<APIGatewayProxyEvent, APIGatewayProxyResult>({
    routes: ROUTES.map((route) => ({ method: route.method, path: route.path, handler: run(route) })),
    notFoundResponse: ({ method, path }) => {
      throw new HttpError(404, 'NotFound', `no route for ${method} ${path}`);
    },
  });

  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    try {
      return await router(event, context);
    } catch (error) {
      const http = toHttpError(error);
      if (http.status >= 500) {
        deps.logger?.error('request failed', {
          method: event.httpMethod,
          path: event.path,
          error: String((error as Error)?.stack ?? error),
        });
      }
      return json(http.status, { error: http.code, message: http.message });
    }
  };
}
