/**
 * The routes of the Stepwise API: data only, so that the CDK stack builds its API Gateway resources
 * from the same list the API function routes (lambdas/api/routes.ts gives each its handler)
 * without loading handler code.
 */
export const API_ROUTES = [
  { method: 'POST', path: '/deployments' },
  { method: 'GET', path: '/deployments' },
  { method: 'GET', path: '/deployments/{id}' },
  { method: 'GET', path: '/deployments/{id}/audit' },
  { method: 'POST', path: '/deployments/{id}/approve' },
  { method: 'POST', path: '/deployments/{id}/abort' },
  { method: 'POST', path: '/deployments/{id}/promote' },
  { method: 'POST', path: '/deployments/{id}/resume' },
  { method: 'GET', path: '/services' },
  { method: 'GET', path: '/services/{name}' },
  { method: 'GET', path: '/services/{name}/deployments' },
  { method: 'POST', path: '/services/{name}/rollback' },
] as const;

export type ApiRoute = (typeof API_ROUTES)[number];
/** `POST /deployments`, … */
export type RouteKey = ApiRoute extends infer R
  ? R extends { method: infer M extends string; path: infer P extends string }
    ? `${M} ${P}`
    : never
  : never;
