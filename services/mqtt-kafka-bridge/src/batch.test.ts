import type { TopicMessages } from 'kafkajs';
import { BatchItem, Batcher, BatcherOptions } from './batch';

const item = (topic: string, key: string, value = key, partition = 0) => ({
  out: { topic, message: { key, value, partition } },
  meta: key,
});

class RecordError extends Error {
  type = 'MESSAGE_TOO_LARGE';
}

const defaults: Omit<BatcherOptions<string>, 'acked' | 'send'> = {
  maxMessages: 100,
  maxBytes: 1_000_000,
  lingerMs: 0,
  retryBackoffMs: { initial: 1, max: 1 },
  isRecordError: err => err instanceof RecordError,
  replace: (i: BatchItem<string>) =>
    i.meta.startsWith('dead:')
      ? undefined
      : {
          out: {
            topic: 'DLQ',
            message: { key: i.meta, value: 'x', partition: 0 },
          },
          meta: `dead:${i.meta}`,
        },
  undeliverable: () => {},
};

describe('Batcher', () => {
  it('batches by topic, acks after the send, and retries a failed batch whole and first', async () => {
    const sent: TopicMessages[][] = [];
    let failures = 1;
    const acked: string[] = [];
    const batcher = new Batcher<string>({
      ...defaults,
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
      ...defaults,
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

  it('keeps each request under maxBytes', async () => {
    const sizes: number[] = [];
    const batcher = new Batcher<string>({
      ...defaults,
      maxBytes: 1000,
      lingerMs: 20,
      acked: () => {},
      send: async batch => {
        sizes.push(batch.flatMap(t => t.messages).length);
      },
    });
    for (let i = 0; i < 10; i++)
      batcher.add(item('A', `k${i}`, 'v'.repeat(300)));
    await batcher.flushed();
    expect(sizes.reduce((a, b) => a + b)).toBe(10);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(2);
    await batcher.stop();
  });

  it('isolates a refused record, dead-letters it, and writes no other record twice', async () => {
    // A fake Kafka with its real rules: each partition of a request is appended
    // all or nothing, other partitions of the same request may succeed, and a
    // resend of the same records to a partition is recognised as a duplicate.
    const log = new Map<string, string[]>();
    const lastBatch = new Map<string, string>();
    const send = async (batch: TopicMessages[]) => {
      let refused: Error | undefined;
      for (const { topic, messages } of batch) {
        const byPartition = new Map<number, string[]>();
        for (const m of messages)
          byPartition.set(m.partition!, [
            ...(byPartition.get(m.partition!) ?? []),
            String(m.value),
          ]);
        for (const [p, values] of byPartition) {
          const tp = `${topic}:${p}`;
          if (values.some(v => v.startsWith('HUGE'))) {
            refused = new RecordError('too large');
            continue;
          }
          if (lastBatch.get(tp) === values.join()) continue; // duplicate
          lastBatch.set(tp, values.join());
          log.set(tp, [...(log.get(tp) ?? []), ...values]);
        }
      }
      if (refused) throw refused;
    };
    const acked: string[] = [];
    const batcher = new Batcher<string>({
      ...defaults,
      lingerMs: 20,
      acked: items => acked.push(...items.map(i => i.meta)),
      send,
    });
    batcher.add(item('A', 'a1', 'a1', 0));
    batcher.add(item('A', 'a2', 'HUGE', 1));
    batcher.add(item('A', 'a3', 'a3', 1));
    batcher.add(item('B', 'b1', 'b1', 0));
    await batcher.flushed();
    expect(log.get('A:0')).toEqual(['a1']);
    expect(log.get('A:1')).toEqual(['a3']);
    expect(log.get('B:0')).toEqual(['b1']);
    expect(log.get('DLQ:0')).toEqual(['x']);
    expect(acked.sort()).toEqual(['a1', 'a3', 'b1', 'dead:a2']);
    await batcher.stop();
  });

  it('settles a message whose every dead letter is refused, instead of retrying forever', async () => {
    const undeliverable: string[] = [];
    const batcher = new Batcher<string>({
      ...defaults,
      acked: () => {},
      undeliverable: i => undeliverable.push(i.meta),
      send: async () => {
        throw new RecordError('always');
      },
    });
    batcher.add(item('A', 'a1'));
    await batcher.flushed();
    expect(undeliverable).toEqual(['a1']);
    await batcher.stop();
  });

  it('does not send items of an abandoned connection again', async () => {
    const stale = new Set<string>();
    const sent: string[] = [];
    let down = true;
    const batcher = new Batcher<string>({
      ...defaults,
      acked: () => {},
      isStale: meta => stale.has(meta),
      send: async batch => {
        if (down) throw new Error('broker down');
        sent.push(...batch.flatMap(t => t.messages.map(m => String(m.key))));
      },
    });
    batcher.add(item('A', 'old1'));
    batcher.add(item('A', 'old2'));
    await new Promise(r => setTimeout(r, 10));
    stale.add('old1').add('old2');
    expect(batcher.dropStale()).toBeGreaterThanOrEqual(0);
    batcher.add(item('A', 'new1'));
    down = false;
    await batcher.flushed();
    expect(sent).toEqual(['new1']);
    await batcher.stop();
  });
});
