import { Duration, Validations } from 'aws-cdk-lib';
import { type EventPattern, Rule, type Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ControlFunction, type ControlFunctionProps } from './control-function.ts';

export interface TriggeredFunctionProps extends Omit<ControlFunctionProps, 'deadLetterQueue'> {
  /** The events that run the function, on the account's default event bus. */
  readonly eventPattern: EventPattern;
  /** What the rule matches, for its description. */
  readonly ruleDescription: string;
  /**
   * How often EventBridge retries delivering an event it could not hand to Lambda (throttled,
   * function being updated). @default 8
   */
  readonly retryAttempts?: number;
  /** How long EventBridge keeps retrying one event. @default Duration.hours(2) */
  readonly maxEventAge?: Duration;
  /**
   * Also run the function on this schedule (a `Scheduled Event`), as a safety net for events the
   * rule may never see. @default - no schedule
   */
  readonly schedule?: { readonly schedule: Schedule; readonly description: string };
}

/**
 * A control function run by an EventBridge rule, with the dead-letter queue for the events it did
 * not handle. An event reaches the queue in one of two ways, and in both the message body is the
 * event itself (so replaying one is invoking the function with the body): EventBridge could not
 * deliver it within `retryAttempts`/`maxEventAge` (the target's dead-letter queue), or Lambda
 * accepted it but the function failed on it and on Lambda's two asynchronous retries (the
 * function's dead-letter queue; a thrown transient error ends here rather than being lost).
 *
 * One queue per function rather than one for both: what is in it says which function to replay it
 * through, and the reconciler's queue (an execution whose cleanup did not run: traffic, lock and
 * audit trail may be left open) can be watched more urgently than the dispatcher's (a push that
 * started no deployment).
 *
 * Children: `DeadLetterQueue`, `Handler` (the function), `Rule`, and `Schedule` when it has one.
 */
export class TriggeredFunction extends Construct {
  readonly handler: ControlFunction;
  readonly rule: Rule;
  readonly deadLetterQueue: Queue;
  /** The schedule's rule, if any. */
  readonly scheduleRule?: Rule;

  constructor(scope: Construct, id: string, props: TriggeredFunctionProps) {
    super(scope, id);
    const {
      eventPattern,
      ruleDescription,
      retryAttempts = 8,
      maxEventAge = Duration.hours(2),
      schedule,
      ...fn
    } = props;

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      // Encrypted with SQS-owned keys: EventBridge and Lambda can send to it without a key policy.
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The longest SQS keeps a message: time to notice, fix the cause and replay.
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue: of the EventBridge rule target and of the function for ' +
        'asynchronous invocations. Nothing consumes it; its messages are inspected and replayed by hand.',
    });

    this.handler = new ControlFunction(this, 'Handler', { ...fn, deadLetterQueue: this.deadLetterQueue });

    this.rule = new Rule(this, 'Rule', {
      description: `Stepwise: ${ruleDescription}`,
      eventPattern,
      targets: [
        new LambdaFunction(this.handler.function, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts,
          maxEventAge,
        }),
      ],
    });
    if (schedule) {
      this.scheduleRule = new Rule(this, 'Schedule', {
        description: `Stepwise: ${schedule.description}`,
        schedule: schedule.schedule,
        targets: [
          // The next run repeats a missed one: a short retry, and a dead letter only to show it keeps failing.
          new LambdaFunction(this.handler.function, {
            deadLetterQueue: this.deadLetterQueue,
            retryAttempts: 2,
            maxEventAge: Duration.minutes(5),
          }),
        ],
      });
    }
  }
}
