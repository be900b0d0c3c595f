import { ClientSession } from './session';
import { StreamRecord } from './streamRecord';
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

function harness(recent = new RecentRecords(0)) {
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
    recent,
    3,
  );
  return { session, sent, overflowed: () => overflowed };
}

const live = (h: ReturnType<typeof harness>, r: StreamRecord) =>
  h.session.offerLive(r, () =>
    JSON.stringify({ position: `energy:${r.partition}:${r.offset}` }),
  );

const energyOffsets = (low: number, high: number) => [
  { partition: 0, low, high },
];

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

  it('serves a resume the buffer covers at once, then live without duplicates', () => {
    const recent = new RecentRecords(100);
    for (let o = 0; o < 10; o++) recent.append(rec(o));
    const h = harness(recent);
    h.session.subscribe(new Map([['energy', undefined]]));
    const plan = h.session.beginResume([
      { stream: 'energy', partition: 0, offset: '7' },
      { stream: 'energy', partition: 0, offset: '6' },
    ]);
    expect(plan.fromKafka).toEqual([]);
    expect(plan.fromBuffer).toEqual([{ stream: 'energy', sent: 3 }]);
    live(h, rec(9));
    live(h, rec(10));
    expect(h.sent).toEqual([7, 8, 9, 10]);
  });

  it('switches from replay to live with no gap and no duplicate', () => {
    const h = harness();
    h.session.subscribe(new Map([['energy', undefined]]));
    const [replay] = h.session.beginResume([
      { stream: 'energy', partition: 0, offset: '4' },
    ]).fromKafka;
    expect(replay.wanted).toEqual(new Map([[0, 5]]));
    // Live records arrive while Kafka is being read, some overlapping it.
    live(h, rec(7));
    const bounds = replay.bound(energyOffsets(0, 8));
    expect(bounds.ranges).toEqual(new Map([[0, { from: 5, to: 8 }]]));
    expect(bounds.sources).toEqual(['kafka']);
    live(h, rec(8));
    for (const o of [5, 6, 7]) replay.offer(rec(o));
    expect(h.sent).toEqual([5, 6, 7]);
    replay.finish();
    live(h, rec(8));
    live(h, rec(9));
    expect(h.sent).toEqual([5, 6, 7, 8, 9]);
  });

  it('continues an expired position from the oldest record, and one past the end from the end', () => {
    const h = harness();
    h.session.subscribe(new Map([['energy', undefined]]));
    const [expired] = h.session.beginResume([
      { stream: 'energy', partition: 0, offset: '1' },
    ]).fromKafka;
    const bounds = expired.bound(energyOffsets(10, 20));
    expect(bounds.expired).toEqual(['energy:0:10']);
    expect(bounds.ranges.get(0)).toEqual({ from: 10, to: 20 });
    expect(bounds.sources).toEqual(['expired']);
    expired.finish();

    h.session.subscribe(new Map([['energy', undefined]]));
    const [beyond] = h.session.beginResume([
      { stream: 'energy', partition: 0, offset: '99' },
    ]).fromKafka;
    expect(beyond.bound(energyOffsets(0, 3)).ranges.get(0)).toEqual({
      from: 3,
      to: 3,
    });
    beyond.finish();
    live(h, rec(3));
    expect(h.sent).toEqual([3]);
  });

  it('drops a replay that belongs to an earlier subscribe, and leaves the new cursor alone', () => {
    const h = harness();
    h.session.subscribe(new Map([['energy', undefined]]));
    const [old] = h.session.beginResume([
      { stream: 'energy', partition: 0, offset: '0' },
    ]).fromKafka;
    h.session.subscribe(new Map([['energy', undefined]]));
    old.bound(energyOffsets(0, 10));
    old.offer(rec(1));
    old.finish();
    live(h, rec(2));
    expect(h.sent).toEqual([2]);
  });

  it('delivers nothing once closed, replays included', () => {
    const h = harness();
    h.session.subscribe(new Map([['energy', undefined]]));
    const [replay] = h.session.beginResume([
      { stream: 'energy', partition: 0, offset: '0' },
    ]).fromKafka;
    h.session.close();
    replay.offer(rec(1));
    replay.finish();
    live(h, rec(2));
    expect(h.sent).toEqual([]);
  });

  it('cuts off a client whose held-back live records overflow', () => {
    const h = harness();
    h.session.subscribe(new Map([['energy', undefined]]));
    h.session.beginResume([{ stream: 'energy', partition: 0, offset: '0' }]);
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
