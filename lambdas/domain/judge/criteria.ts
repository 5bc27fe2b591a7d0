/**
 * What the judge compares, per service (the registry's `analysis`), with the defaults the
 * deployment practice we serve states its rollback criteria in: an error rate above the baseline's,
 * a p95 latency more than 10 % and a p99 more than 2× the baseline's, a hard ceiling on errors.
 */

/** What a criterion's missing data means: the metric returned nothing while the candidate took requests. */
export type MissingData = 'inconclusive' | 'fail' | 'pass';

/** The candidate's error rate against the baseline's: `errors / requests` of each version. */
export interface ErrorRateCriterion {
  metric: 'errorRate';
  /** Fails when the candidate's rate is shown above this × the baseline's (1: any increase). */
  maxRatio: number;
  /** ... and the observed increase is more than this many percentage points (a floor that ignores 0.01 → 0.02 %). */
  minIncreasePoints: number;
  /** ... and more than this relative increase, in percent (the seeds' "increase > 5 %"). */
  minIncreasePercent: number;
  /** An absolute ceiling, in percent: a candidate shown above it fails whatever the baseline does. */
  maxPercent?: number;
  /** Higher is worse (`increase`, errors) or lower is worse (`decrease`, e.g. a success count). */
  direction: 'increase' | 'decrease';
  critical: boolean;
  missingData: MissingData;
}

/** A latency quantile of the candidate against the baseline's before the deployment. */
export interface LatencyCriterion {
  metric: 'latency';
  /** The quantile compared, 50..99.9 (95 = p95). */
  quantile: number;
  /**
   * Fails when the candidate is shown slower than the baseline at this quantile (its share of
   * requests slower than the baseline's pNN above 100 − NN %) and its own pNN is more than this
   * relative increase, in percent, above the baseline's.
   */
  minIncreasePercent: number;
  /** An absolute ceiling on the candidate's quantile, in milliseconds. */
  maxMs?: number;
  critical: boolean;
  missingData: MissingData;
}

export type Criterion = ErrorRateCriterion | LatencyCriterion;

/** A CloudWatch metric a service publishes per version: `{version}` in a dimension's value stands for the version's name. */
export interface CustomMetricRef {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
}

/**
 * The service's own per-version metrics, for a provider that has none (ECS rolling, AppConfig, or
 * custom EMF metrics): requests and errors (`Sum`), and a latency metric with percentiles.
 */
export interface CustomMetrics {
  requests: CustomMetricRef;
  errors: CustomMetricRef;
  latency?: CustomMetricRef & { unit: 'ms' | 's' };
}

/** A service's analysis settings after defaults: what every deployment of it is judged on. */
export interface Analysis {
  criteria: Criterion[];
  /** A step cannot pass with fewer candidate requests than this (cumulative over the deployment). */
  minCandidateRequests: number;
  /**
   * Fewer requests than that when the step's bake ends: the bake goes on (as long as the traffic
   * seen so far says it takes, at most `extendBakeUpToSeconds` per step, in at most
   * `MAX_EXTENSIONS` rounds), then `hold` for a person, or `fail` (roll back).
   */
  onTooFewRequests: 'hold' | 'fail';
  extendBakeUpToSeconds: number;
  /** The chance of failing a healthy version, over the whole deployment however often it is looked at (split over the criteria). */
  falseAlarmRate: number;
  /** How long before the deployment the baseline's latency is read (seconds). */
  baselineWindowSeconds: number;
  /** An inconclusive step waits this long for a person's decision, then does `onTimeout`. */
  hold: { timeoutSeconds: number; onTimeout: 'rollback' | 'continue' };
  /** Where each version's metrics are, when the provider cannot say (its own are used otherwise). */
  metrics?: CustomMetrics;
  /**
   * A CloudWatch alarm for each deployment on the candidate's error rate minus the stable
   * version's: above this many points two minutes in a row, it ends a bake at once. 0: none.
   */
  alarmAbovePoints: number;
}

export const DEFAULT_CRITERIA: Criterion[] = [
  {
    metric: 'errorRate',
    maxRatio: 1,
    minIncreasePoints: 0.1,
    minIncreasePercent: 5,
    maxPercent: 5,
    direction: 'increase',
    critical: true,
    missingData: 'inconclusive',
  },
  { metric: 'latency', quantile: 95, minIncreasePercent: 10, critical: true, missingData: 'inconclusive' },
  { metric: 'latency', quantile: 99, minIncreasePercent: 100, critical: false, missingData: 'pass' },
];

export const DEFAULT_ANALYSIS: Analysis = {
  criteria: DEFAULT_CRITERIA,
  minCandidateRequests: 250,
  onTooFewRequests: 'hold',
  extendBakeUpToSeconds: 1800,
  falseAlarmRate: 0.01,
  baselineWindowSeconds: 900,
  hold: { timeoutSeconds: 3600, onTimeout: 'rollback' },
  alarmAbovePoints: 2,
};

/** The registry's `analysis`, as written: every field optional. */
export interface AnalysisInput {
  criteria?:
    | (Partial<ErrorRateCriterion> & { metric: 'errorRate' })[]
    | (Partial<LatencyCriterion> & { metric: 'latency' })[];
  minCandidateRequests?: number;
  onTooFewRequests?: 'hold' | 'fail';
  extendBakeUpToSeconds?: number;
  falseAlarmRate?: number;
  baselineWindowSeconds?: number;
  hold?: Partial<Analysis['hold']>;
  metrics?: CustomMetrics;
  alarmAbovePoints?: number;
}

/** Fills a service's `analysis` with the defaults; each criterion is completed from the default of its metric. */
export function resolveAnalysis(input: AnalysisInput | undefined): Analysis {
  const criteria = (
    input?.criteria as (Partial<Criterion> & { metric: Criterion['metric'] })[] | undefined
  )?.map((c): Criterion => {
    if (c.metric === 'errorRate') {
      return { ...(DEFAULT_CRITERIA[0] as ErrorRateCriterion), ...c } as ErrorRateCriterion;
    }
    const base =
      (c as Partial<LatencyCriterion>).quantile === 99
        ? (DEFAULT_CRITERIA[2] as LatencyCriterion)
        : (DEFAULT_CRITERIA[1] as LatencyCriterion);
    return { ...base, ...c } as LatencyCriterion;
  });
  return {
    ...DEFAULT_ANALYSIS,
    ...input,
    criteria: criteria ?? DEFAULT_CRITERIA,
    hold: { ...DEFAULT_ANALYSIS.hold, ...input?.hold },
  };
}

const missingData = { type: 'string', enum: ['inconclusive', 'fail', 'pass'] } as const;

const customMetric = {
  type: 'object',
  required: ['namespace', 'metricName', 'dimensions'],
  additionalProperties: false,
  properties: {
    namespace: { type: 'string', minLength: 1, maxLength: 255 },
    metricName: { type: 'string', minLength: 1, maxLength: 255 },
    dimensions: {
      type: 'object',
      minProperties: 1,
      maxProperties: 30,
      additionalProperties: { type: 'string', minLength: 1, maxLength: 1024 },
    },
  },
} as const;

/** The registry's `analysis` field (JSON Schema). */
export const analysisSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    criteria: {
      type: 'array',
      minItems: 1,
      maxItems: 10,
      items: {
        type: 'object',
        required: ['metric'],
        properties: { metric: { type: 'string', enum: ['errorRate', 'latency'] } },
        if: { properties: { metric: { const: 'errorRate' } } },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else, not a promise.
        then: {
          additionalProperties: false,
          properties: {
            metric: true,
            maxRatio: { type: 'number', minimum: 1, maximum: 100 },
            minIncreasePoints: { type: 'number', minimum: 0, maximum: 100 },
            minIncreasePercent: { type: 'number', minimum: 0, maximum: 10_000 },
            maxPercent: { type: 'number', exclusiveMinimum: 0, maximum: 100 },
            direction: { type: 'string', enum: ['increase', 'decrease'] },
            critical: { type: 'boolean' },
            missingData,
          },
        },
        else: {
          additionalProperties: false,
          properties: {
            metric: true,
            quantile: { type: 'number', minimum: 50, maximum: 99.9 },
            minIncreasePercent: { type: 'number', minimum: 0, maximum: 10_000 },
            maxMs: { type: 'number', exclusiveMinimum: 0 },
            critical: { type: 'boolean' },
            missingData,
          },
        },
      },
    },
    minCandidateRequests: { type: 'integer', minimum: 0, maximum: 10_000_000 },
    onTooFewRequests: { type: 'string', enum: ['hold', 'fail'] },
    extendBakeUpToSeconds: { type: 'integer', minimum: 0, maximum: 86_400 },
    alarmAbovePoints: { type: 'number', minimum: 0, maximum: 100 },
    falseAlarmRate: { type: 'number', exclusiveMinimum: 0, maximum: 0.2 },
    baselineWindowSeconds: { type: 'integer', minimum: 60, maximum: 86_400 },
    hold: {
      type: 'object',
      additionalProperties: false,
      properties: {
        timeoutSeconds: { type: 'integer', minimum: 60, maximum: 604_800 },
        onTimeout: { type: 'string', enum: ['rollback', 'continue'] },
      },
    },
    metrics: {
      type: 'object',
      required: ['requests', 'errors'],
      additionalProperties: false,
      properties: {
        requests: customMetric,
        errors: customMetric,
        latency: {
          type: 'object',
          required: ['namespace', 'metricName', 'dimensions', 'unit'],
          additionalProperties: false,
          properties: { ...customMetric.properties, unit: { type: 'string', enum: ['ms', 's'] } },
        },
      },
    },
  },
} as const;
