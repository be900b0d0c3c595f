import { DLQ_HEADERS } from '@homelab/pipeline-contracts';
import { createHash } from 'node:crypto';
import { deadLetterHeaders, deadLetterMessage, SINK_DLQ_HEADERS } from './dlq';
import { decodeMessages } from './decodeMessages';
import { hypertablesFromConfig } from './hypertable';
import { parseSinkConfig } from './config';

const [energy] = hypertablesFromConfig(
  parseSinkConfig({ kafka: { brokers: 'a:1' } }),
);

const message = (value: string | null, offset = '7') => ({
  topic: 'homelab.energy',
  partition: 2,
  offset,
  key: Buffer.from('meter1'),
  value: value === null ? null : Buffer.from(value),
  headers: { 'source.mqtt_topic': Buffer.from('homelab/energy/meter1') },
});

const valid = {
  stream: 'energy',
  device_id: 'meter1',
  ts: '2026-01-03T16:00:00Z',
  fields: { power_kw: 3.2 },
  received_at: '2026-01-03T16:00:00.041Z',
  source: {
    mqtt_topic: 'homelab/energy/meter1',
    qos: 1,
    retained: false,
    bridge_id: 'b1',
  },
};

describe('decodeMessages', () => {
  it('turns undecodable records into dead letters with the reason, keeping the rest', () => {
    const { readings, letters } = decodeMessages(
      [
        message(JSON.stringify(valid), '1'),
        message('not json', '2'),
        message(JSON.stringify({ ...valid, fields: {}, device_id: '' }), '3'),
        message(JSON.stringify({ ...valid, stream: 'heatpump' }), '4'),
        message(null, '5'),
        message(JSON.stringify({ ...valid, device_id: 'a\u0000b' }), '6'),
      ],
      energy,
    );
    expect(readings.map(r => r.message.offset)).toEqual(['1']);
    expect(letters.map(l => [l.message.offset, l.errorClass])).toEqual([
      ['2', 'not-json'],
      ['3', 'invalid-record'],
      ['4', 'invalid-record'],
      ['5', 'invalid-record'],
      ['6', 'invalid-record'],
    ]);
    expect(letters[2].reason).toContain('stream "heatpump"');
  });
});

describe('deadLetterHeaders', () => {
  it('carries the original position, the reason and the original headers', () => {
    const headers = deadLetterHeaders(
      {
        message: message('x'),
        errorClass: 'db-22003',
        reason: 'numeric field overflow',
        attempts: 3,
      },
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(headers).toMatchObject({
      [DLQ_HEADERS.errorClass]: 'db-22003',
      [DLQ_HEADERS.reason]: 'numeric field overflow',
      [DLQ_HEADERS.service]: 'timescaledb-sink',
      [DLQ_HEADERS.failedAt]: '2026-01-01T00:00:00.000Z',
      [DLQ_HEADERS.attempts]: '3',
      [DLQ_HEADERS.topic]: 'homelab.energy',
      [DLQ_HEADERS.partition]: '2',
      [DLQ_HEADERS.offset]: '7',
      [DLQ_HEADERS.mqttTopic]: 'homelab/energy/meter1',
    });
    expect(headers['source.mqtt_topic']).toEqual(
      Buffer.from('homelab/energy/meter1'),
    );
  });
});

describe('deadLetterMessage', () => {
  const letter = (value: Buffer) => ({
    message: { ...message('x'), key: Buffer.from('meter1'), value },
    errorClass: 'not-json',
    reason: 'value is not JSON',
    attempts: 1,
  });

  it('is keyed by its source position, so a replayed letter can be dropped', () => {
    const m = deadLetterMessage(letter(Buffer.from('x')), 1024);
    expect(m.key).toBe('homelab.energy:2:7');
    expect(m.headers![SINK_DLQ_HEADERS.sourceKey]).toEqual(
      Buffer.from('meter1'),
    );
    expect(m.headers![SINK_DLQ_HEADERS.truncated]).toBeUndefined();
  });

  it('cuts a value over the limit and says so with the size and hash', () => {
    const big = Buffer.alloc(5000, 'a');
    const m = deadLetterMessage(letter(big), 1024);
    expect((m.value as Buffer).length).toBe(1024);
    expect(m.headers).toMatchObject({
      [SINK_DLQ_HEADERS.truncated]: 'true',
      [SINK_DLQ_HEADERS.originalBytes]: '5000',
      [SINK_DLQ_HEADERS.sha256]: createHash('sha256').update(big).digest('hex'),
    });
  });
});
