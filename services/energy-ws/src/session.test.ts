import { ClientSession } from './session';
import { StreamRecord } from './record';
import { RecentRecords } from './recentRecords';

const rec = (
  offset: number,
  deviceId = 'meter1',
  partition = 0,
): StreamRecord => ({
  key: `energy:${partition}`,
  stream: 'energy',
  partition,
  offset,
  deviceId,
  ts: '2026-01-03T16:00:00Z',
  fields: { power_kw: offset },
  producedAtMs: 0,
});

function harness() {
  const sent: number[] = [];
  let overflowed = false;
  const session = new ClientSession(
    {
      send: frame => {
        sent.push(Number(JSON.parse(frame.toString()).position.split(':')[2]));
        return true;
      },
      overflow: () => {
        overflowed = true;
      },
    },
    3,
  );
  return { session, sent, overflowed: () => overflowed };
}

const live = (h: ReturnType<typeof harness>, r: StreamRecord) =>
  h.session.offerLive(r, () =>
    JSON.stringify({ position: `energy:${r.partition}:${r.offset}` }),
  );

describe('client session', () => {
  it('sends nothing before subscribe, then only subscribed streams and devices', () => {
    const h = harness();
    live(h, rec(1));
    h.session.subscribe(new Map([['energy', new Set(['meter2'])]]));
    live(h, rec(2, 'meter1'));
    live(h, rec(3, 'meter2'));
    h.session.offerLive(
      { ...rec(4, 'meter2'), stream: 'heatpump', key: 'heatpump:0' },
      () => '{}',
    );
    expect(h.sent).toEqual([3]);
  });

  it('switches from replay to live with no gap and no duplicate', () => {
    const h = harness();
    const generation = h.session.subscribe(new Map([['energy', undefined]]));
    h.session.setCursor('energy', 0, 5);
    h.session.holdLive('energy', 0);
    // Live records arrive while Kafka is being read, some overlapping it.
    live(h, rec(7));
    live(h, rec(8));
    for (const o of [5, 6, 7]) h.session.offerReplayed(rec(o), generation);
    h.session.releaseLive('energy', 0, generation);
    live(h, rec(8));
    live(h, rec(9));
    expect(h.sent).toEqual([5, 6, 7, 8, 9]);
  });

  it('drops a replay that belongs to an earlier subscribe', () => {
    const h = harness();
    const old = h.session.subscribe(new Map([['energy', undefined]]));
    h.session.subscribe(new Map([['energy', undefined]]));
    h.session.offerReplayed(rec(1), old);
    expect(h.sent).toEqual([]);
  });

  it('cuts off a client whose held-back live records overflow', () => {
    const h = harness();
    h.session.subscribe(new Map([['energy', undefined]]));
    h.session.holdLive('energy', 0);
    for (const o of [1, 2, 3, 4]) live(h, rec(o));
    expect(h.overflowed()).toBe(true);
  });
});

describe('recent records', () => {
  it('serves a resume only when it reaches back far enough', () => {
    const recent = new RecentRecords(3);
    for (let o = 10; o < 30; o++) recent.append(rec(o));
    const oldest = 30 - 3;
    expect(recent.since('energy', 0, 29)?.map(r => r.offset)).toEqual([29]);
    expect(recent.since('energy', 0, 30)).toEqual([]);
    expect(recent.since('energy', 0, 31)).toBeUndefined();
    expect(recent.since('energy', 0, 5)).toBeUndefined();
    expect(recent.since('energy', 1, 20)).toBeUndefined();
    const covered = recent.since('energy', 0, 25);
    expect(covered === undefined || covered[0].offset === 25).toBe(true);
    expect(recent.since('energy', 0, oldest)?.[0].offset).toBe(oldest);
  });

  it('forgets everything on a rewind', () => {
    const recent = new RecentRecords(10);
    for (const o of [1, 2, 3, 1]) recent.append(rec(o));
    expect(recent.since('energy', 0, 1)?.map(r => r.offset)).toEqual([1]);
  });
});
