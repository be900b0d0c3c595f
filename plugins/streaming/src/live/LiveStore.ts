import type {
  DataMessage,
  LiveHistoryPoint,
  StreamName,
} from '@homelab/plugin-streaming-common';
import { RingBuffer } from './RingBuffer';

export interface ChartPoint {
  /** Reading time, ms since the epoch. */
  t: number;
  fields: Record<string, number>;
}

export interface DeviceLatest {
  key: string;
  stream: StreamName;
  deviceId: string;
  ts: string;
  fields: Record<string, number>;
}

export interface DeviceSeries {
  key: string;
  stream: StreamName;
  deviceId: string;
  points: ChartPoint[];
}

export interface LiveStoreOptions {
  /** Devices beyond this are not tracked (a misconfigured filter must not grow memory). */
  maxDevices?: number;
  /** Per device; with `slotMs` 500 the default holds 60 minutes. */
  maxPointsPerDevice?: number;
  /**
   * Readings closer than this keep only the newest for the chart, so 20 msg/s
   * costs no more memory than 2 msg/s; the latest-value table still sees every reading.
   */
  slotMs?: number;
}

/** The device a message is from; a base-protocol server does not say, so all its data is one series. */
export const UNKNOWN_DEVICE = '(unknown)';

/**
 * What the Live tab shows, independent of React and of the socket: the
 * latest reading per device and a bounded, time-ordered series per device,
 * merged from the TimescaleDB backfill and the live stream.
 */
export class LiveStore {
  private readonly series = new Map<string, RingBuffer<ChartPoint>>();
  private readonly latest = new Map<string, DeviceLatest>();
  private readonly maxDevices: number;
  private readonly maxPoints: number;
  private readonly slotMs: number;
  /** Bumped on every visible change, so a renderer can skip frames where nothing changed. */
  version = 0;
  droppedDevices = 0;

  constructor(options: LiveStoreOptions = {}) {
    this.maxDevices = options.maxDevices ?? 100;
    this.maxPoints = options.maxPointsPerDevice ?? 7200;
    this.slotMs = options.slotMs ?? 500;
  }

  addLive(message: DataMessage): void {
    const deviceId = message.device_id ?? UNKNOWN_DEVICE;
    const key = `${message.stream}:${deviceId}`;
    const t = Date.parse(message.data.ts);
    if (!Number.isFinite(t)) return;
    const buffer = this.bufferFor(key);
    if (!buffer) return;
    const previous = this.latest.get(key);
    if (!previous || Date.parse(previous.ts) <= t) {
      this.latest.set(key, {
        key,
        stream: message.stream,
        deviceId,
        ts: message.data.ts,
        fields: message.data.fields,
      });
    }
    this.append(buffer, { t, fields: message.data.fields });
    this.version++;
  }

  /**
   * Stored readings from before the live stream: only those older than the
   * device's first live point are taken, so the seam has no duplicate.
   */
  backfill(stream: StreamName, points: LiveHistoryPoint[]): void {
    const byDevice = new Map<string, LiveHistoryPoint[]>();
    for (const p of points) {
      const deviceId = p.deviceId || UNKNOWN_DEVICE;
      let list = byDevice.get(deviceId);
      if (!list) byDevice.set(deviceId, (list = []));
      list.push(p);
    }
    for (const [deviceId, list] of byDevice) {
      const key = `${stream}:${deviceId}`;
      const buffer = this.bufferFor(key);
      if (!buffer) continue;
      const live = buffer.toArray();
      const firstLive = live[0]?.t ?? Infinity;
      buffer.clear();
      const older = list
        .map(p => ({ t: Date.parse(p.ts), fields: p.fields }))
        .filter(p => Number.isFinite(p.t) && p.t < firstLive)
        .sort((a, b) => a.t - b.t);
      for (const p of older) this.append(buffer, p);
      for (const p of live) this.append(buffer, p);
      if (!this.latest.has(key) && older.length) {
        const newest = older[older.length - 1];
        this.latest.set(key, {
          key,
          stream,
          deviceId,
          ts: new Date(newest.t).toISOString(),
          fields: newest.fields,
        });
      }
    }
    this.version++;
  }

  /** Forgets chart points older than `cutoffMs`. */
  prune(cutoffMs: number): void {
    for (const buffer of this.series.values())
      buffer.dropWhile(p => p.t < cutoffMs);
  }

  latestValues(): DeviceLatest[] {
    return [...this.latest.values()].sort((a, b) => a.key.localeCompare(b.key));
  }

  allSeries(sinceMs = -Infinity): DeviceSeries[] {
    return [...this.series]
      .map(([key, buffer]) => {
        const [stream, ...rest] = key.split(':');
        return {
          key,
          stream: stream as StreamName,
          deviceId: rest.join(':'),
          points: buffer.toArray().filter(p => p.t >= sinceMs),
        };
      })
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  /** Every numeric field seen, for the chart's field picker. */
  fieldNames(): string[] {
    const names = new Set<string>();
    for (const l of this.latest.values())
      for (const f of Object.keys(l.fields)) names.add(f);
    return [...names].sort();
  }

  private bufferFor(key: string): RingBuffer<ChartPoint> | undefined {
    let buffer = this.series.get(key);
    if (!buffer) {
      if (this.series.size >= this.maxDevices) {
        this.droppedDevices++;
        return undefined;
      }
      buffer = new RingBuffer(this.maxPoints);
      this.series.set(key, buffer);
    }
    return buffer;
  }

  private append(buffer: RingBuffer<ChartPoint>, point: ChartPoint): void {
    const last = buffer.last();
    if (last && point.t <= last.t) return;
    if (
      last &&
      Math.floor(last.t / this.slotMs) === Math.floor(point.t / this.slotMs)
    )
      buffer.replaceLast(point);
    else buffer.push(point);
  }
}
