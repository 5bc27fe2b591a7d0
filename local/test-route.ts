import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HookFault } from './faults.ts';

export interface TestRoute {
  /** Base URL on 127.0.0.1, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Requests it answered, with the phase the hook runner named. */
  requests: { path: string; phase: string | undefined; status: number }[];
  close(): Promise<void>;
}

/** Whether a request to a deployment's candidate fails, as its simulated fleet says; undefined when no fleet runs it. */
export type CandidateProbe = (deploymentId: string) => boolean | undefined;

/**
 * The candidate's test route, as a real HTTP server on loopback: the smoke-test hooks call it
 * with fetch exactly as they would call a test listener on AWS. `GET /health` answers as the
 * candidate would: 503 when the deployment's simulated candidate fails the request (its injected
 * error rate), or for the hook phases that `--inject hook=fail[@phase]` names; else 200.
 */
export async function startTestRoute(
  faults: HookFault[],
  /** Told of each fault that made it answer 503. */
  onFault?: (fault: HookFault) => void,
  candidateFails?: CandidateProbe,
): Promise<TestRoute> {
  const requests: TestRoute['requests'] = [];
  const server = createServer((req, res) => {
    const phase = req.headers['x-stepwise-phase'] as string | undefined;
    const service = req.headers['x-stepwise-service'] as string | undefined;
    const matching = faults.filter(
      (f) =>
        (f.phase === undefined || f.phase === phase) && (f.service === undefined || f.service === service),
    );
    const deployment = req.headers['x-stepwise-deployment'] as string | undefined;
    const injected = req.url === '/health' && matching.length > 0;
    if (injected) for (const fault of matching) onFault?.(fault);
    const failing =
      injected ||
      (req.url === '/health' && deployment !== undefined && candidateFails?.(deployment) === true);
    const status = req.url !== '/health' ? 404 : failing ? 503 : 200;
    requests.push({ path: req.url ?? '', phase, status });
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: status === 200 ? 'ok' : 'unavailable' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
