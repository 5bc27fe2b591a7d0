import type { Command } from './options.ts';

/**
 * Every command, in the order the help lists them: its name and one line, and how to load the rest.
 * A command's module (its options, and what it runs with: the local engine, the API client) is
 * imported only when that command runs, so `stepwise --help` loads none of them.
 */
export interface CommandEntry {
  name: string;
  /** One line for the list of commands. */
  summary: string;
  load(): Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'deploy',
    summary: "run a rollout (in-process, or through 'serve' / --api when there is one)",
    load: async () => (await import('./deploy.ts')).deployCommand,
  },
  {
    name: 'serve',
    summary: 'run the local control plane: the Stepwise API on 127.0.0.1',
    load: async () => (await import('./serve.ts')).serveCommand,
  },
  {
    name: 'status',
    summary: 'show where a deployment stands',
    load: async () => (await import('./control.ts')).statusCommand,
  },
  {
    name: 'wait',
    summary: 'block until a deployment ends (exit 0 succeeded, 2 rolled back, 1 otherwise)',
    load: async () => (await import('./control.ts')).waitCommand,
  },
  {
    name: 'approve',
    summary: "answer a deployment's approval (--deny to refuse)",
    load: async () => (await import('./control.ts')).approveCommand,
  },
  {
    name: 'abort',
    summary: 'stop a deployment and roll it back',
    load: async () => (await import('./control.ts')).abortCommand,
  },
  {
    name: 'promote',
    summary: 'skip the rest of the plan: the new version takes all traffic',
    load: async () => (await import('./control.ts')).promoteCommand,
  },
  {
    name: 'rollback',
    summary: 'deploy the previous (or a named) version of a service',
    load: async () => (await import('./control.ts')).rollbackCommand,
  },
  {
    name: 'history',
    summary: "list a service's past deployments",
    load: async () => (await import('./history.ts')).historyCommand,
  },
  {
    name: 'audit',
    summary: "print and verify a deployment's audit trail",
    load: async () => (await import('./history.ts')).auditCommand,
  },
  {
    name: 'events',
    summary: 'send an EventBridge event through dispatch (events put FILE)',
    load: async () => (await import('./events.ts')).eventsCommand,
  },
  {
    name: 'push',
    summary: 'send an ECR image push event (push --repository R --tag T)',
    load: async () => (await import('./events.ts')).pushCommand,
  },
  {
    name: 'config',
    summary: 'validate the service registry (stepwise.config.json)',
    load: async () => (await import('./config.ts')).configCommand,
  },
];

/** Every command's full declaration (for help and tests): loads every command module. */
export function loadCommands(): Promise<Command[]> {
  return Promise.all(COMMANDS.map((c) => c.load()));
}
