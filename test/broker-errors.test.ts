import { JetStreamApiError } from '@nats-io/jetstream/internal';
import { describe, expect, it } from 'vitest';
import { StreamlearnError } from '../src/core/errors.js';
import { jetStreamFailure, retrying, silentReporter } from '../src/node/broker/connection.js';

// As the client builds it from the server's answer to a JetStream API request.
const damaged = (): JetStreamApiError => new JetStreamApiError({ code: 500, err_code: 10077, description: 'error opening msg block file' });

describe('a JetStream API error from the server', () => {
  it('jetStreamFailure turns it into one line naming what was asked and the server message; other errors pass as they are', () => {
    const err = jetStreamFailure('reading stream nats://localhost:4222/iris', damaged());
    expect(err).toBeInstanceOf(StreamlearnError);
    expect((err as Error).message).toBe(
      'reading stream nats://localhost:4222/iris: the NATS server refused the JetStream request: error opening msg block file (status 500, error code 10077)',
    );
    // A subclass (ConsumerNotFoundError sets its own name) is an answer callers handle: left alone.
    const notFound = Object.assign(new JetStreamApiError({ code: 404, err_code: 10014, description: 'consumer not found' }), { name: 'ConsumerNotFoundError' });
    expect(jetStreamFailure('x', notFound)).toBe(notFound);
    const other = new TypeError('boom');
    expect(jetStreamFailure('x', other)).toBe(other);
  });

  it('retrying throws it as that one line, without retrying', async () => {
    let calls = 0;
    const op = async (): Promise<never> => {
      calls++;
      throw damaged();
    };
    await expect(retrying('uploading to nats://localhost:4222/models/iris', op, { report: silentReporter })).rejects.toThrow(
      new StreamlearnError('uploading to nats://localhost:4222/models/iris: the NATS server refused the JetStream request: error opening msg block file (status 500, error code 10077)'),
    );
    expect(calls).toBe(1);
  });
});
