import { InvalidInputError } from './errors.ts';

/** When a hook runs: against the candidate before it takes user traffic, or after it has. */
export type HookPhase = 'pre-traffic' | 'post-traffic';

interface HookBase {
  name: string;
  phase: HookPhase;
  /** Seconds one attempt may take. */
  timeoutSeconds: number;
  /** Attempts after the first before the hook fails the deployment. */
  retries: number;
  /** Seconds between attempts (a Wait state, never a sleep in a Lambda). */
  retryIntervalSeconds: number;
}

/** An HTTP smoke test: a request whose status must be `expectedStatus`. */
export interface HttpHook extends HookBase {
  type: 'http';
  url: string;
  method: 'GET' | 'HEAD' | 'POST';
  expectedStatus: number;
}

/** A Lambda function that answers `{ "passed": true | false, "message"?: string }`. */
export interface LambdaHook extends HookBase {
  type: 'lambda';
  functionName: string;
}

export type Hook = HttpHook | LambdaHook;

/** What a hook attempt is told about the deployment it judges. */
export interface HookContext {
  deploymentId: string;
  service: string;
  candidateVersion: string;
  phase: HookPhase;
  attempt: number;
}

export interface HookResult {
  passed: boolean;
  detail: string;
  durationMs: number;
}

/**
 * A hook URL as the audit trail, logs and messages may show it: scheme, host and path. User
 * credentials, the query and the fragment are where people put tokens, and the trail is
 * append-only, so they never reach it: `https://user:pw@host/p?token=x` shows as `https://host/p?…`.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(not a URL)';
  }
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}${parsed.search || parsed.hash ? '?…' : ''}`;
}

/** A copy of a plan (or anything holding one) with every hook `url` redacted, for the audit trail. */
export function redactHookUrls<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => redactHookUrls(v)) as T;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, v]) => [
      key,
      key === 'url' && typeof v === 'string' ? redactUrl(v) : redactHookUrls(v),
    ]),
  ) as T;
}

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

/** `host:port` of a URL, the port spelled out even when it is the scheme's default. */
function hostPort(url: URL): string {
  return `${url.hostname}:${url.port || DEFAULT_PORTS[url.protocol] || ''}`.toLowerCase();
}

/** Whether `allowedHosts` lets a hook call `url`: an entry `host` allows any port of it, `host:port` that port only. */
export function hostAllowed(url: string, allowedHosts: readonly string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const target = hostPort(parsed);
  const host = parsed.hostname.toLowerCase();
  return allowedHosts.some((entry) => {
    const allowed = entry.toLowerCase();
    return allowed === host || allowed === target;
  });
}

/** `host:port` of a URL, as an `allowedHosts` entry names it (the local runtime registers its own hooks' hosts). */
export function hookHost(url: string): string {
  return hostPort(new URL(url));
}

/**
 * Refuses an HTTP hook whose host the service does not register in `allowedHosts`: a plan (or
 * a plan override in a request) cannot point the RunHook function at internal or metadata
 * addresses. `where` names the plan in the message, e.g. `services[0].plan` or `plan`.
 */
export function checkHookHosts(
  hooks: readonly Hook[],
  allowedHosts: readonly string[] | undefined,
  where: string,
  service: string,
): void {
  for (const hook of hooks) {
    if (hook.type !== 'http' || hostAllowed(hook.url, allowedHosts ?? [])) continue;
    const host = (() => {
      try {
        return new URL(hook.url).host;
      } catch {
        return hook.url;
      }
    })();
    throw new InvalidInputError(
      `${where}: hook ${hook.name} calls ${redactUrl(hook.url)}, but ${host} is not in ${service}'s allowedHosts (${
        allowedHosts && allowedHosts.length > 0 ? allowedHosts.join(', ') : 'none registered'
      }); register the host in the service's allowedHosts`,
    );
  }
}
