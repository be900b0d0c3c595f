import type { TopicMessages } from 'kafkajs';
import { Batcher } from './batch';

const item = (topic: string, key: string) => ({
  out: { topic, message: { key, value: key } },
  meta: key,
});

describe('Batcher', () => {
  it('batches by topic, acks after the send, and retries a failed batch whole and first', async () => {
    const sent: TopicMessages[][] = [];
    let failures = 1;
    const acked: string[] = [];
    const batcher = new Batcher<string>({
      acked: items => acked.push(...items.map(i => i.meta)),
      maxMessages: 3,
      lingerMs: 5,
      retryBackoffMs: { initial: 1, max: 1 },
      send: async batch => {
        sent.push(batch);
        if (failures-- > 0) throw new Error('broker down');
      },
    });
    ['a1', 'b1', 'a2', 'a3'].forEach(k =>
      batcher.add(item(k[0] === 'a' ? 'A' : 'B', k)),
    );
    await batcher.flushed();
    expect(acked).toEqual(['a1', 'b1', 'a2', 'a3']);
    expect(sent[0]).toEqual(sent[1]);
    expect(sent[0].map(t => [t.topic, t.messages.map(m => m.key)])).toEqual([
      ['A', ['a1', 'a2']],
      ['B', ['b1']],
    ]);
    expect(sent[2][0].messages.map(m => m.key)).toEqual(['a3']);
    await batcher.stop();
  });

  it('on stop leaves an unsendable batch unacknowledged', async () => {
    const acked: string[] = [];
    const batcher = new Batcher<string>({
      acked: items => acked.push(...items.map(i => i.meta)),
      maxMessages: 10,
      lingerMs: 0,
      retryBackoffMs: { initial: 5, max: 5 },
      send: async () => {
        throw new Error('down');
      },
    });
    batcher.add(item('A', 'x'));
    await new Promise(r => setTimeout(r, 20));
    await batcher.stop();
    expect(acked).toEqual([]);
    expect(batcher.size).toBe(1);
  });
});
