import { MqttClient } from 'mqtt';
import { TopicReader } from './harness';
import { eventually } from '@homelab/test-kit';

/** Publishes `count` numbered readings at about `perSecond`, starting at `from`. */
export async function publishNumbered(
  publisher: MqttClient,
  topicPrefix: string,
  from: number,
  count: number,
  perSecond: number,
): Promise<void> {
  const chunk = Math.max(1, Math.round(perSecond / 20));
  for (let seq = from; seq < from + count; seq += chunk) {
    const started = Date.now();
    const sends = [];
    for (let i = seq; i < Math.min(from + count, seq + chunk); i++) {
      const payload = JSON.stringify({ seq: i, power_kw: (i % 100) / 10 });
      sends.push(
        publisher.publishAsync(`${topicPrefix}/meter-${i % 5}`, payload, {
          qos: 1,
        }),
      );
    }
    await Promise.all(sends);
    await new Promise(r =>
      setTimeout(r, Math.max(0, 50 - (Date.now() - started))),
    );
  }
}

/** Waits until every number in [0, n) is in the topic; returns how many records arrived twice. */
export async function expectAllNumbers(
  reader: TopicReader,
  n: number,
  timeoutMs: number,
): Promise<{ duplicates: number }> {
  const seen = new Set<number>();
  let scanned = 0;
  await eventually(
    `all ${n} numbered readings in Kafka`,
    () => {
      for (; scanned < reader.messages.length; scanned++) {
        seen.add(
          JSON.parse(reader.messages[scanned].value!.toString()).fields.seq,
        );
      }
      return seen.size >= n;
    },
    { timeoutMs, intervalMs: 250 },
  ).catch(err => {
    const missing = Array.from({ length: n }, (_, i) => i).filter(
      i => !seen.has(i),
    );
    throw new Error(
      `${err.message}; ${missing.length} missing, e.g. ${missing
        .slice(0, 10)
        .join(', ')}`,
    );
  });
  return { duplicates: reader.messages.length - seen.size };
}
