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
