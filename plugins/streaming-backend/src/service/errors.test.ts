import { mockServices } from '@backstage/backend-test-utils';
import {
  publicErrorText,
  publicReason,
  redactInternals,
  unknownNameError,
  withPublicErrors,
} from './errors';

describe('public error texts', () => {
  it('classifies driver errors without their addresses', () => {
    const refused = Object.assign(
      new Error('connect ECONNREFUSED 10.0.0.5:5432'),
      { code: 'ECONNREFUSED' },
    );
    expect(publicReason(refused)).toBe('connection refused');
    const auth = Object.assign(
      new Error('password authentication failed for user "homelab"'),
      { code: '28P01' },
    );
    expect(publicReason(auth)).toBe('authentication failed');
    const kafkajs = Object.assign(
      new Error('Connection error: getaddrinfo ENOTFOUND redpanda.homelab.svc'),
      {
        name: 'KafkaJSConnectionError',
      },
    );
    expect(publicReason(kafkajs)).toBe('host not found');
    const retries = Object.assign(new Error('retries exceeded'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      originalError: new Error('Request timed out after 30000ms'),
    });
    expect(publicReason(retries)).toBe('timed out');
  });

  it('redacts every address-like part of an unknown message, and bounds it', () => {
    const text = redactInternals(
      'odd failure at postgres://app:s3cret@db.internal:5432/x via 10.1.2.3:9092, [fd00::1]:9092, broker-0.kafka:9093 host=db.lan password=hunter2',
    );
    expect(text).not.toMatch(
      /s3cret|db\.internal|10\.1\.2\.3|fd00|broker-0|db\.lan|hunter2|9092|9093/,
    );
    expect(redactInternals('x'.repeat(1000)).length).toBeLessThanOrEqual(201);
  });

  it('keeps our own context in front of the reason', () => {
    expect(
      publicErrorText(
        'cannot read topic homelab.energy: connect ECONNREFUSED 127.0.0.1:9092',
      ),
    ).toBe('cannot read topic homelab.energy: connection refused');
    expect(
      publicErrorText('topic homelab.gas does not exist on the cluster'),
    ).toBe('topic homelab.gas does not exist on the cluster');
  });

  it('rewrites nested error fields and logs the originals', () => {
    const logger = mockServices.logger.mock();
    const body = withPublicErrors(
      {
        groups: [
          {
            group: 'g',
            error:
              'cannot read consumer group g on cluster local: connect ECONNREFUSED 10.0.0.1:9092',
          },
        ],
      },
      logger,
      'kafka',
    );
    expect(body.groups[0].error).toBe(
      'cannot read consumer group g on cluster local: connection refused',
    );
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('10.0.0.1:9092'),
    );
  });
});

describe('unknownNameError', () => {
  it('names the annotation and the configured names, or where to add one', () => {
    const named = unknownNameError(
      'database',
      'warehouse',
      ['timescale', 'b'],
      {
        annotation: 'streaming.homelab.dev/hypertables',
        addWhere: 'streaming.timescale.databases',
      },
    );
    expect(named.name).toBe('InputError');
    expect(named.message).toBe(
      'annotation streaming.homelab.dev/hypertables names database "warehouse"; configured databases are "timescale", "b"',
    );
    expect(
      unknownNameError('database', 'x', [], {
        addWhere: 'streaming.timescale.databases',
      }).message,
    ).toBe(
      'database "x" is unknown; configured databases are none (add a streaming.timescale.databases entry to app-config)',
    );
  });
});
