import { InvalidInputError } from '../lambdas/domain/errors.ts';
import { ApiError } from './api-client.ts';
import { config } from './config.ts';
import { abort, approve, promote, rollback, status, wait } from './control.ts';
import { deploy } from './deploy.ts';
import { UsageError } from './errors.ts';
import { events, push } from './events.ts';
import { audit, history } from './history.ts';
import { serve } from './serve.ts';

export const HELP = `Usage: npx stepwise <command> [options]

Stepwise rolls out a new version step by step, checks alarms after every step, and rolls back
on its own. Locally everything runs in-process on the same state machines and task code as AWS.

Commands:
  deploy    run a rollout (in-process, or through 'serve' / --api when there is one)
            (try: deploy --service checkout --image shop:1.1 --inject errors=8%)
  serve     run the local control plane: the Stepwise API on 127.0.0.1
  status    show where a deployment stands
  wait      block until a deployment ends (exit 0 succeeded, 2 rolled back, 1 otherwise)
  approve   answer a deployment's approval (--deny to refuse)
  abort     stop a deployment and roll it back
  promote   skip the rest of the plan: the new version takes all traffic
  rollback  deploy the previous (or a named) version of a service
  history   list a service's past deployments
  audit     print and verify a deployment's audit trail
  events    send an EventBridge event through dispatch (events put FILE)
  push      send an ECR image push event (push --repository R --tag T)
  config    validate the service registry (stepwise.config.json)

Run 'npx stepwise <command> --help' for a command's options.`;

const COMMANDS: Record<string, (argv: string[], out: (line: string) => void) => Promise<number>> = {
  deploy,
  serve,
  status,
  wait,
  approve,
  abort,
  promote,
  rollback,
  history,
  audit,
  events,
  push,
  config,
};

/** Node's parseArgs messages carry a hint about '--' that only confuses here: keep the first sentence. */
function firstSentence(message: string): string {
  return message.split(/\.\s/)[0]?.replace(/\.$/, '') ?? message;
}

/** Runs the CLI; returns the exit code. Usage mistakes print one line to stderr and exit 1. */
export async function main(
  argv: string[],
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  err: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    out(HELP);
    return command ? 0 : 1;
  }
  const run = COMMANDS[command];
  if (!run) {
    err(`stepwise: unknown command '${command}'; commands: ${Object.keys(COMMANDS).join(', ')}`);
    return 1;
  }
  try {
    return await run(rest, out);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (error instanceof ApiError) {
      err(`stepwise ${command}: ${error.message}`);
      return 1;
    }
    if (
      error instanceof UsageError ||
      error instanceof InvalidInputError ||
      code?.startsWith('ERR_PARSE_ARGS')
    ) {
      err(`stepwise ${command}: ${firstSentence((error as Error).message)}`);
      return 1;
    }
    err(`stepwise ${command}: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}
