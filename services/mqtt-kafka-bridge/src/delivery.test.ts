import { DeliveryLedger } from './delivery';

describe('DeliveryLedger', () => {
  it('sends PUBACKs in arrival order, only after delivery', () => {
    const sent: number[] = [];
    const ledger = new DeliveryLedger(id => sent.push(id));
    const [a, b, c] = [1, 2, 3].map(id => ledger.receive(id));
    ledger.delivered(c);
    ledger.delivered(b);
    expect(sent).toEqual([]);
    expect(ledger.pending).toBe(3);
    ledger.delivered(a);
    expect(sent).toEqual([1, 2, 3]);
    expect(ledger.pending).toBe(0);
  });

  it('never acknowledges on a new connection what arrived on an old one', () => {
    const sent: number[] = [];
    const ledger = new DeliveryLedger(id => sent.push(id));
    const old = ledger.receive(7);
    expect(ledger.abandon()).toBe(1);
    const fresh = ledger.receive(7);
    ledger.delivered(old);
    expect(sent).toEqual([]);
    ledger.delivered(fresh);
    expect(sent).toEqual([7]);
  });

  it('keeps QoS 0 messages in line without sending a PUBACK for them', () => {
    const sent: number[] = [];
    const ledger = new DeliveryLedger(id => sent.push(id));
    const q0 = ledger.receive(undefined);
    const q1 = ledger.receive(5);
    ledger.delivered(q1);
    expect(sent).toEqual([]);
    ledger.delivered(q0);
    expect(sent).toEqual([5]);
  });

  it('stays correct across compaction', () => {
    const sent: number[] = [];
    const ledger = new DeliveryLedger(id => sent.push(id));
    const tickets = Array.from({ length: 5000 }, (_, i) =>
      ledger.receive(i % 65535),
    );
    tickets.slice(0, 3000).forEach(t => ledger.delivered(t));
    const more = ledger.receive(9);
    tickets.slice(3000).forEach(t => ledger.delivered(t));
    ledger.delivered(more);
    expect(sent.length).toBe(5001);
    expect(ledger.pending).toBe(0);
  });

  it('counts the payload bytes it holds until each message is delivered', () => {
    const ledger = new DeliveryLedger(() => {});
    const a = ledger.receive(1, 0, 100);
    const b = ledger.receive(2, 0, 30);
    expect(ledger.pendingBytes).toBe(130);
    // b is acknowledged by Kafka first, but held until a: its bytes too.
    ledger.delivered(b);
    expect(ledger.pendingBytes).toBe(130);
    ledger.delivered(a);
    expect(ledger.pendingBytes).toBe(0);
    ledger.receive(3, 0, 50);
    ledger.abandon();
    expect(ledger.pendingBytes).toBe(0);
  });
});
