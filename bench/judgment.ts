/**
 * `npm run bench`: what judgment costs and how fast it acts, measured on the local runtime (the
 * same ASL files and handlers, dynalite, the simulated fleet and CloudWatch on a virtual clock).
 * Prints markdown tables and writes them, with the raw figures, to bench/results/.
 *
 * 1. Fault → traffic back on stable against bake length: a canary whose version starts failing 8 %
 *    of its requests at step 3, judged by its one-minute alarms; the event-driven bake beside the
 *    end-of-bake design (`--inject alarm-events=lost`, only the check at the bake's end). Each
 *    bake is run several times: where the run starts within a minute moves the alarm's first
 *    whole period.
 * 2. Cost per deployment against the number of steps: state transitions (Step Functions bills
 *    them), task invocations (Lambda bills them) and DynamoDB reads, for a healthy canary.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TASK_NAMES } from '../local/fault-injection.ts';
import { parseFaults } from '../local/faults.ts';
import type { DeploymentReport } from '../local/report.ts';
import { DEFAULT_ALARMS, LocalRuntime } from '../local/runtime.ts';

const RUNS_PER_BAKE = 8;
const BAKES = [60, 300, 600, 3600];
const STEP_COUNTS = [4, 10, 20, 50];
const OUT = join(import.meta.dirname, 'results');

const runtime = await LocalRuntime.open(undefined);
let serial = 0;

function deploy(plan: unknown, inject: string[], startAt?: Date): Promise<DeploymentReport> {
  serial += 1;
  return runtime.deploy({
    ...(startAt ? { startAt } : {}),
    service: `bench-${serial}`,
    image: 'shop:2.0',
    strategy: 'canary',
    plan,
    alarms: DEFAULT_ALARMS,
    insufficientData: 'healthy',
    faults: parseFaults(inject, TASK_NAMES),
    requestsPerMinute: 1000,
    principal: 'bench',
  });
}

const canary = (steps: number, bakeSeconds: number) => ({
  steps: Array.from({ length: steps }, (_, i) => ({
    weight: Math.round((100 * (i + 1)) / steps),
    bakeSeconds,
  })),
});

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** Seconds from step 3's shift until traffic was back on stable: the run's end less two full bakes. */
const revertSeconds = (report: DeploymentReport, bake: number) => report.simulatedSeconds - 2 * bake;

const detection: { bakeSeconds: number; design: string; median: number; max: number; runs: number[] }[] = [];
for (const bake of BAKES) {
  for (const [design, inject] of [
    ['event-driven bake', ['errors=8%@step=3']],
    ['end-of-bake check', ['errors=8%@step=3', 'alarm-events=lost']],
  ] as const) {
    const runs: number[] = [];
    for (let i = 0; i < RUNS_PER_BAKE; i++) {
      // Each run starts elsewhere in the minute: 0, 7.5, 15 ... seconds past it.
      const startAt = new Date(Date.UTC(2026, 11, 1, 12, 0, 0) + i * 7500);
      const report = await deploy(canary(4, bake), [...inject], startAt);
      if (report.status !== 'ROLLED_BACK') throw new Error(`bake ${bake}s, ${design}: ${report.status}`);
      runs.push(revertSeconds(report, bake));
    }
    detection.push({ bakeSeconds: bake, design, median: median(runs), max: Math.max(...runs), runs });
  }
}

const cost: {
  steps: number;
  stateTransitions: number;
  taskInvocations: number;
  tableReads: number;
  tableItemsRead: number;
  perStep: { stateTransitions: number; taskInvocations: number; tableReads: number };
}[] = [];
for (const steps of STEP_COUNTS) {
  const before = runtime.tableReads;
  const itemsBefore = runtime.tableItemsRead;
  const report = await deploy(canary(steps, 60), []);
  if (report.status !== 'SUCCEEDED') throw new Error(`${steps} steps: ${report.status}`);
  const tableReads = runtime.tableReads - before;
  const tableItemsRead = runtime.tableItemsRead - itemsBefore;
  cost.push({
    steps,
    stateTransitions: report.stateTransitions,
    taskInvocations: report.taskInvocations,
    tableReads,
    tableItemsRead,
    perStep: {
      stateTransitions: +(report.stateTransitions / steps).toFixed(1),
      taskInvocations: +(report.taskInvocations / steps).toFixed(1),
      tableReads: +(tableReads / steps).toFixed(1),
    },
  });
}
await runtime.close();

/** What one more step costs: the slope between the smallest and the largest plan (start and end cost once). */
const first = cost[0] as (typeof cost)[number];
const last = cost.at(-1) as (typeof cost)[number];
const slope = (key: 'stateTransitions' | 'taskInvocations' | 'tableReads' | 'tableItemsRead') =>
  +((last[key] - first[key]) / (last.steps - first.steps)).toFixed(2);
const perAddedStep = {
  stateTransitions: slope('stateTransitions'),
  taskInvocations: slope('taskInvocations'),
  tableReads: slope('tableReads'),
  tableItemsRead: slope('tableItemsRead'),
};
const loopGoalMet = perAddedStep.stateTransitions <= 5 && perAddedStep.taskInvocations <= 2;

const minutes = (s: number) => (s >= 60 && s % 60 === 0 ? `${s / 60} min` : `${s} s`);
const markdown = [
  '## Fault at step 3 → all traffic back on stable (simulated seconds after the step began)',
  '',
  `One-minute alarms (${DEFAULT_ALARMS.evaluationPeriods} of ${DEFAULT_ALARMS.datapointsToAlarm} datapoints), 8 % errors, ${RUNS_PER_BAKE} runs per row.`,
  '',
  '| bake | design | median | worst |',
  '| ---- | ------ | ------ | ----- |',
  ...detection.map((d) => `| ${minutes(d.bakeSeconds)} | ${d.design} | ${d.median} s | ${d.max} s |`),
  '',
  '## Cost of one healthy canary deployment (1-minute bakes)',
  '',
  '| steps | state transitions | task invocations | DynamoDB reads (items) | per step (transitions / invocations / reads) |',
  '| ----- | ----------------- | ---------------- | ---------------------- | -------------------------------------------- |',
  ...cost.map(
    (c) =>
      `| ${c.steps} | ${c.stateTransitions} | ${c.taskInvocations} | ${c.tableReads} (${c.tableItemsRead}) | ${c.perStep.stateTransitions} / ${c.perStep.taskInvocations} / ${c.perStep.tableReads} |`,
  ),
  '',
  `Each added step: ${perAddedStep.stateTransitions} transitions, ${perAddedStep.taskInvocations} invocations, ${perAddedStep.tableReads} DynamoDB reads of ${perAddedStep.tableItemsRead} items, audit included (goal: at most 5 and 2, flat in bake length) ${loopGoalMet ? '✓' : '✗'}`,
  '',
].join('\n');

mkdirSync(OUT, { recursive: true });
writeFileSync(
  join(OUT, 'judgment.json'),
  `${JSON.stringify({ detection, cost, perAddedStep, loopGoalMet }, null, 2)}\n`,
);
writeFileSync(join(OUT, 'judgment.md'), markdown);
process.stdout.write(`${markdown}\nwritten: bench/results/judgment.json, bench/results/judgment.md\n`);
