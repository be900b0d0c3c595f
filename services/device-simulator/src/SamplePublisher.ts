import { MqttClient } from 'mqtt';
import { SimulatorMetrics } from './metrics';

/**
 * Where a simulated message counts as delivered: when Mosquitto's PUBACK
 * arrives (QoS 1), i.e. when mqtt.js calls the publish callback. Until then
 * the message is pending, and mqtt.js resends it after a reconnect.
 */
export class SamplePublisher {
  private inFlight = 0;
  private idle: Array<() => void> = [];

  constructor(
    private readonly client: MqttClient,
    private readonly metrics: SimulatorMetrics,
    private readonly qos: 0 | 1 | 2,
    private readonly maxPending: number,
  ) {}

  get pending(): number {
    return this.inFlight;
  }

  /** Returns false when the sample was dropped because too many await their PUBACK. */
  send(stream: string, topic: string, payload: object): boolean {
    if (this.inFlight >= this.maxPending) {
      this.metrics.dropped.inc({ stream, reason: 'backpressure' });
      return false;
    }
    this.inFlight++;
    const stopTimer = this.metrics.ackLatency.startTimer();
    this.client.publish(
      topic,
      JSON.stringify(payload),
      { qos: this.qos },
      err => {
        this.inFlight--;
        if (err) this.metrics.failed.inc({ stream });
        else {
          stopTimer();
          this.metrics.published.inc({ stream });
        }
        if (this.inFlight === 0)
          this.idle.splice(0).forEach(resolve => resolve());
      },
    );
    return true;
  }

  /** Resolves true once every pending message is acknowledged, false after the timeout. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise(resolve => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idle.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
