import { Kafka, Partitioners, Producer, TopicMessages } from 'kafkajs';
import { isRecordError } from './kafkaErrors';

export interface KafkaWriterOptions {
  requestTimeoutMs: number;
  onState: (up: boolean) => void;
}

/**
 * An idempotent producer (acks=all, one request in flight, as kafkajs requires
 * for idempotence). After a failed send the producer is thrown away and the
 * next attempt gets a fresh one with a new producer id (except after a record
 * error, see batch.ts): after an outage the
 * old id's sequence numbers may no longer match what the broker has, and a
 * retry under a new id can only duplicate, never reorder or lose.
 */
export class KafkaWriter {
  private producer: Producer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: KafkaWriterOptions,
  ) {}

  send = async (topicMessages: TopicMessages[]): Promise<void> => {
    try {
      if (!this.producer) {
        const producer = this.kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
          // Java-compatible murmur2, so a key lands where other Kafka clients put it.
          createPartitioner: Partitioners.DefaultPartitioner,
          retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
        });
        this.producer = producer;
        await producer.connect();
      }
      await this.producer.sendBatch({
        topicMessages,
        acks: -1,
        timeout: this.options.requestTimeoutMs,
      });
      this.options.onState(true);
    } catch (err) {
      if (isRecordError(err)) {
        // Kafka answered: it is reachable. The same producer must resend, so
        // that records it already wrote are recognised as duplicates (batch.ts).
        this.options.onState(true);
        throw err;
      }
      this.options.onState(false);
      const broken = this.producer;
      this.producer = undefined;
      broken?.disconnect().catch(() => {});
      throw err;
    }
  };

  async close(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    await p?.disconnect();
  }
}
