import type { Command } from 'commander';
import { fail } from '../../core/errors.js';
import { choiceArg, integerRange, numberArg } from '../cli/options.js';
import { DEFAULT_CONNECT_TIMEOUT_S, newClassPolicies, TRAIN_ACK_WAIT_S, TRAIN_NEW_CLASSES, type NewClassPolicy } from './defaults.js';
import type { JetStreamSourceOptions } from './source.js';

/** The flags `streamlearn train` takes for a JetStream source. */
export interface BrokerTrainFlags {
  source?: string;
  subject?: string;
  durable?: string;
  idleTimeout?: number;
  ackWait?: number;
  newClasses?: NewClassPolicy;
  connectTimeout?: number;
}

/** `--new-classes`, worded alike for train --source and worker; `dflt` is the command's default. */
export function newClassesHelp(dflt: NewClassPolicy, why: string): string {
  return `a label that is not one of the stream's classes (its format record's, and --classes): allow (learn it as a new class), skip (leave the row out and count it) or fail (stop, naming the message and the label); default ${dflt}${why}`;
}

/** The connection flag every broker command shares. */
export function connectTimeoutOption(command: Command): Command {
  return command.option('--connect-timeout <s>', `seconds to keep retrying (with backoff) when no NATS server answers at first (default ${DEFAULT_CONNECT_TIMEOUT_S})`, numberArg);
}

/** Adds train's JetStream flags to its command; returns the command, so the chain goes on. */
export function addBrokerTrainOptions(command: Command): Command {
  command
    .option('--source <url>', 'read rows from a JetStream stream, nats://HOST:PORT/STREAM (filled by streamlearn publish), until none is pending; a regressor needs a regression stream (publish --task regression), a classifier a classification one')
    .option('--subject <filter>', '--source: the subject filter (default: the subject the rows were published on)')
    .option('--durable <name>', '--source: read through this durable consumer (continuing where it stopped); its messages are acknowledged once the model is saved')
    .option('--idle-timeout <s>', '--source: wait this long for more rows once none is pending (default 0: stop at once)', numberArg)
    .option('--ack-wait <s>', `--source --durable: ack wait of the consumer if it is made now (default ${TRAIN_ACK_WAIT_S})`, integerRange(1, 2_147_483))
    .option(
      '--new-classes <policy>',
      `--source: ${newClassesHelp(TRAIN_NEW_CLASSES, ', as a data file\'s labels not listed are added as they appear')} (a classification stream only)`,
      choiceArg(newClassPolicies),
    );
  return connectTimeoutOption(command);
}

/** What train() takes from those flags. */
export function brokerTrainOptions(flags: BrokerTrainFlags): { source?: string; broker?: JetStreamSourceOptions } {
  const given = (['subject', 'durable', 'idleTimeout', 'ackWait', 'newClasses', 'connectTimeout'] as const).find((k) => flags[k] !== undefined);
  if (flags.source === undefined) {
    if (given) fail(`--${given.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies to --source nats://HOST:PORT/STREAM only`);
    return {};
  }
  return {
    source: flags.source,
    broker: {
      ...(flags.subject !== undefined ? { subject: flags.subject } : {}),
      ...(flags.durable !== undefined ? { durable: flags.durable } : {}),
      ...(flags.idleTimeout !== undefined ? { idleTimeout: flags.idleTimeout } : {}),
      ...(flags.ackWait !== undefined ? { ackWait: flags.ackWait } : {}),
      ...(flags.newClasses !== undefined ? { newClasses: flags.newClasses } : {}),
      ...(flags.connectTimeout !== undefined ? { connectTimeout: flags.connectTimeout } : {}),
    },
  };
}
