import { canonicalRecordSchema } from '@homelab/pipeline-contracts';
import { DEFAULT_DEVICE_ID_PATTERN } from './config';
import { DeviceClock } from './deviceClock';
import { MqttMessage, normalise } from './normalise';
import { Route } from './route';

const now = Date.parse('2026-01-03T16:00:00.041Z');
const clock = new DeviceClock();
const options = {
  bridgeId: 'bridge-1',
  maxPayloadBytes: 1024,
  maxFutureMs: 86_400_000,
  nowMs: now,
  bounds: {
    maxDeviceIdBytes: 16,
    deviceIdPattern: new RegExp(DEFAULT_DEVICE_ID_PATTERN, 'u'),
    maxFields: 6,
    maxFieldNameBytes: 20,
    maxDepth: 3,
  },
  stampTimeless: (device: string, ms: number) => clock.stamp(device, ms),
};
const energy: Route = {
  filter: 'homelab/energy/#',
  stream: 'energy',
  topic: 'homelab.energy',
  deviceIdSegment: 2,
};
const heatpump: Route = {
  filter: 'homelab/heatpump/#',
  stream: 'heatpump',
  topic: 'homelab.heatpump',
  deviceIdSegment: 2,
};

const msg = (topic: string, payload: string | Buffer): MqttMessage => ({
  topic,
  payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
  qos: 1,
  retained: false,
});

describe('normalise', () => {
  it('turns the flat meter example into the canonical record', () => {
    const payload =
      '{"timestamp":"2026-01-03T16:00:00Z","total_energy_kwh":12.45,"power_kw":3.2,"voltage":230,"current":13.9}';
    const r = normalise(energy, msg('homelab/energy/meter1', payload), options);
    expect(r).toEqual({
      ok: true,
      record: {
        stream: 'energy',
        device_id: 'meter1',
        ts: '2026-01-03T16:00:00.000Z',
        fields: {
          power_kw: 3.2,
          total_energy_kwh: 12.45,
          voltage: 230,
          current: 13.9,
        },
        received_at: '2026-01-03T16:00:00.041Z',
        source: {
          mqtt_topic: 'homelab/energy/meter1',
          qos: 1,
          retained: false,
          bridge_id: 'bridge-1',
        },
      },
    });
    expect(canonicalRecordSchema.safeParse(r.ok && r.record).success).toBe(
      true,
    );
  });

  it("flattens the three-phase meter's fields", () => {
    const payload =
      '{"ts":"2025-12-26T14:46:27.88864083Z","fields":{"active_power_total":1289,"active_power_l1":1048,"voltage_l1":236,"note":"x"}}';
    const r = normalise(energy, msg('homelab/energy/em1', payload), {
      ...options,
      nowMs: Date.parse('2025-12-26T14:46:28Z'),
    });
    expect(r.ok && r.record.fields).toEqual({
      active_power_total: 1289,
      active_power_l1: 1048,
      voltage_l1: 236,
    });
    expect(r.ok && r.record.ts).toBe('2025-12-26T14:46:27.888Z');
  });

  it('reads the heat pump with epoch seconds; the topic names the device', () => {
    const payload =
      '{"device_id":"device-001","timestamp":1698765432,"d0":5.2,"d5":35.0,"d6":30.5}';
    const r = normalise(heatpump, msg('homelab/heatpump/hp1', payload), {
      ...options,
      nowMs: 1698765433000,
    });
    expect(r.ok && r.record).toMatchObject({
      device_id: 'hp1',
      ts: '2023-10-31T15:17:12.000Z',
      fields: { d0: 5.2, d5: 35, d6: 30.5 },
    });
  });

  it('falls back to the payload device_id when the topic has no device level', () => {
    const r = normalise(
      heatpump,
      msg('homelab/heatpump', '{"device_id":"device-001","d0":1}'),
      options,
    );
    expect(r.ok && r.record.device_id).toBe('device-001');
    expect(r.ok && r.record.ts).toMatch(/^2026-01-03T16:00:00\.041\d{3}Z$/);
  });

  it('gives timestamp-less readings of one device distinct, rising stamps within one millisecond', () => {
    const stamps = Array.from({ length: 3 }, () => {
      const r = normalise(
        energy,
        msg('homelab/energy/burst', '{"p":1}'),
        options,
      );
      return r.ok ? r.record.ts : '';
    });
    expect(new Set(stamps).size).toBe(3);
    expect([...stamps].sort()).toEqual(stamps);
    expect(canonicalRecordSchema.shape.ts.safeParse(stamps[0]).success).toBe(
      true,
    );
  });

  it.each([
    ['homelab/energy/abcdefghijklmnopq', '{"p":1}', 'device-id-too-long'],
    ['homelab/energy/zähler-küche', '{"p":1}', undefined],
    ['homelab/energy/AA:BB:CC', '{"p":1}', undefined],
    ['homelab/energy/meter 1', '{"p":1}', 'bad-device-id'],
    ['homelab/energy/meter\u200b', '{"p":1}', 'bad-device-id'],
    ['homelab/energy/meter🔥', '{"p":1}', 'bad-device-id'],
    ['homelab/energy', '{"device_id":"a\\u0000b","p":1}', 'bad-device-id'],
    ['homelab/energy', '{"device_id":"a\\u0007b","p":1}', 'bad-device-id'],
    ['homelab/energy/m1/extra', '{"p":1}', 'extra-topic-levels'],
    [
      'homelab/energy/m1',
      '{"a":1,"b":2,"c":3,"fields":{"d":4,"e":5,"f":6}}',
      'too-many-fields',
    ],
    ['homelab/energy/m1', '{"abcdefghijklmnopqrstu":1}', 'field-name-too-long'],
    ['homelab/energy/m1', '{"p":1,"x":{"y":{"z":{}}}}', 'too-deep'],
    ['homelab/energy/m1', '{"p":1,"x":"[[[[[[[["}', undefined],
  ])('bounds: %s %s → %s', (topic, payload, errorClass) => {
    const r = normalise(energy, msg(topic, payload), options);
    expect(r.ok ? undefined : r.errorClass).toBe(errorClass);
  });

  it.each([
    ['{"power_kw": 3.2', 'not-json'],
    ['{"power_kw": NaN}', 'not-json'],
    ['', 'not-json'],
    [Buffer.from([0xff, 0xfe, 0x00, 0x81]), 'not-json'],
    ['[1,2,3]', 'not-an-object'],
    ['null', 'not-an-object'],
    ['42', 'not-an-object'],
    ['{"a":"1","b":"x"}', 'no-numeric-field'],
    ['{"meta":{"a":{"b":1}}}', 'no-numeric-field'],
    ['{"power_kw":1e999}', 'no-numeric-field'],
    ['{"power_kw":1,"timestamp":"3000-01-01T00:00:00Z"}', 'bad-timestamp'],
    ['{"power_kw":1,"timestamp":-1000}', 'bad-timestamp'],
    ['{"power_kw":1,"ts":"soon"}', 'bad-timestamp'],
    [`{"power_kw":1,"pad":"${'x'.repeat(2000)}"}`, 'too-large'],
  ])('rejects %s as %s', (payload, errorClass) => {
    const r = normalise(energy, msg('homelab/energy/m1', payload), options);
    expect(r).toMatchObject({ ok: false, errorClass, deviceId: 'm1' });
    expect(!r.ok && r.reason.length).toBeGreaterThan(5);
  });

  it('rejects a message with no device id anywhere', () => {
    expect(
      normalise(energy, msg('homelab/energy', '{"p":1}'), options),
    ).toMatchObject({ ok: false, errorClass: 'no-device-id' });
  });
});
