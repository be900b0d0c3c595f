import { notReadyReason } from './probe';

describe('notReadyReason', () => {
  it("puts the sink's waiting partitions first, then false flags", () => {
    expect(
      notReadyReason({
        live: true,
        ready: false,
        details: {
          consuming: false,
          partitionsWaitingForDatabase: [
            'homelab.energy/0',
            'homelab.energy/1',
          ],
        },
      }),
    ).toBe(
      'partitionsWaitingForDatabase: homelab.energy/0, homelab.energy/1; consuming: false',
    );
  });

  it("names the bridge's nested flags and bounds long lists", () => {
    expect(
      notReadyReason({
        ready: false,
        details: {
          mqtt: { connected: false, subscribed: false },
          kafka: { lastProduceOk: true, queued: 0 },
          topicMismatches: Array.from({ length: 7 }, (_, i) => `t${i}`),
        },
      }),
    ).toBe(
      'topicMismatches: t0, t1, t2, t3, t4 and 2 more; mqtt.connected: false; mqtt.subscribed: false',
    );
  });

  it('says a crash first and never passes an address on', () => {
    const reason = notReadyReason({
      live: false,
      details: { crashed: 'connect ECONNREFUSED 10.0.0.5:5432' },
    });
    expect(reason).toMatch(/^not live; crashed: /);
    expect(reason).not.toContain('10.0.0.5');
    expect(notReadyReason({ ready: false })).toBe(
      'not ready (no details given)',
    );
  });
});
