import type { DataMessage } from '@homelab/plugin-streaming-common';
import { LiveStore } from './LiveStore';
import { RingBuffer } from './RingBuffer';

const at = (s: number) =>
  new Date(Date.UTC(2026, 0, 1, 12, 0, s)).toISOString();
const data = (device: string, s: number, v: number): DataMessage => ({
  type: 'data',
  stream: 'energy',
  timestamp: at(s),
  data: { ts: at(s), fields: { power_kw: v } },
  device_id: device,
});

describe('RingBuffer', () => {
  it('keeps the newest items up to its capacity', () => {
    const ring = new RingBuffer<number>(3);
    for (let i = 1; i <= 5; i++) ring.push(i);
    expect(ring.toArray()).toEqual([3, 4, 5]);
    ring.dropWhile(i => i < 4);
    expect(ring.toArray()).toEqual([4, 5]);
    ring.push(6);
    ring.push(7);
    expect(ring.toArray()).toEqual([5, 6, 7]);
    expect(ring.last()).toBe(7);
  });
});

describe('LiveStore', () => {
  it('backfills history before the first live point without duplicating the seam', () => {
    const store = new LiveStore();
    store.addLive(data('m1', 10, 10));
    store.addLive(data('m1', 11, 11));
    store.backfill(
      'energy',
      [8, 9, 10, 11].map(s => ({
        ts: at(s),
        deviceId: 'm1',
        fields: { power_kw: s },
      })),
    );
    expect(store.allSeries()[0].points.map(p => p.fields.power_kw)).toEqual([
      8, 9, 10, 11,
    ]);
    expect(store.latestValues()).toEqual([
      expect.objectContaining({
        deviceId: 'm1',
        ts: at(11),
        fields: { power_kw: 11 },
      }),
    ]);
  });

  it('shows history in the latest-value table until live data arrives', () => {
    const store = new LiveStore();
    store.backfill('energy', [
      { ts: at(1), deviceId: 'm2', fields: { voltage_l1: 230 } },
    ]);
    expect(store.latestValues()[0]).toMatchObject({
      deviceId: 'm2',
      fields: { voltage_l1: 230 },
    });
  });

  it('stays bounded at 20 msg/s: readings within a slot keep only the newest, and old points fall out', () => {
    const store = new LiveStore({ maxPointsPerDevice: 100, slotMs: 500 });
    const start = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 20 * 600; i++) {
      const ts = new Date(start + i * 50).toISOString();
      store.addLive({
        type: 'data',
        stream: 'energy',
        timestamp: ts,
        data: { ts, fields: { v: i } },
        device_id: 'fast',
      });
    }
    const [series] = store.allSeries();
    expect(series.points).toHaveLength(100);
    expect(series.points[series.points.length - 1].fields.v).toBe(20 * 600 - 1);
    expect(store.latestValues()[0].fields.v).toBe(20 * 600 - 1);
  });

  it('tracks at most maxDevices devices', () => {
    const store = new LiveStore({ maxDevices: 2 });
    ['a', 'b', 'c'].forEach((d, i) => store.addLive(data(d, i, i)));
    expect(store.allSeries().map(s => s.deviceId)).toEqual(['a', 'b']);
    expect(store.droppedDevices).toBe(1);
  });
});
