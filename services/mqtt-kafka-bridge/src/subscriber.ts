import {
  explainMqttFailure,
  firstMqttConnection,
  mqttTarget,
  type Logger,
  type MqttSecurity,
} from '@homelab/service-kit';
import mqtt, { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import { assertMqttInternals, takeOverPubacks } from './mqttInternals';
import { MqttMessage } from './normalise';

export interface SubscriberOptions {
  url: string;
  clientId: string;
  /** Credentials and TLS, resolved from config (files already read). */
  security: MqttSecurity;
  filters: string[];
  keepaliveSeconds: number;
  sessionExpirySeconds: number;
  receiveMaximum: number;
  reconnectPeriodMs: number;
  /** Stop reading from the socket while this many messages are unacknowledged. */
  maxPending: number;
  /** … or while their payloads take this many bytes. */
  maxPendingBytes: number;
  logger: Logger;
}

export interface SubscriberHandlers {
  /** Every PUBLISH, in arrival order, exactly once per delivery by Mosquitto. */
  onMessage(message: MqttMessage, messageId: number | undefined): void;
  /** The connection went up or down; on down, unsent PUBACKs are void. */
  onConnection(up: boolean): void;
  /** Mosquitto reconnected us without our session: what it held for us may be gone. */
  onSessionLost(): void;
  pending(): number;
  /** Payload bytes of the messages counted by `pending`. */
  pendingBytes(): number;
}

export interface Subscriber {
  /** Sends one PUBACK on the current connection; only delivery.ts calls this. */
  puback(messageId: number): void;
  /** Re-checks the pending bound after acknowledgements. */
  resume(): void;
  /** Stops taking messages: later PUBLISHes stay unacknowledged at Mosquitto. */
  pause(): void;
  end(): Promise<void>;
  /**
   * The first connection: rejects with an error naming the setting when
   * credentials or TLS are wrong; 'waiting' while Mosquitto is unreachable.
   */
  readonly firstConnection: Promise<'connected' | 'waiting'>;
  /** The last failure a setting fixes (wrong password, CA …), until a connect succeeds. */
  readonly problem: string | undefined;
  readonly connected: boolean;
  readonly subscribed: boolean;
}

/**
 * The MQTT side, built on mqtt.js 5 with a persistent session (clean: false,
 * MQTT 5 session expiry) and QoS 1. QoS 0 messages (mqtt.js hands them to
 * `message` listeners, not to `customHandleAcks`) are bridged too, with no
 * PUBACK to hold.
 *
 * mqtt.js handles incoming packets one at a time and sends the PUBACK of a
 * QoS 1 message before it reads the next packet; its `customHandleAcks` hook
 * only delays that, which would hold one message in flight and stall keepalive
 * handling during a Kafka outage. So the PUBACK that mqtt.js produces itself
 * is swallowed here (its callback still runs, so reading goes on), and the
 * real PUBACK is written by `puback()` when delivery.ts says so. Reading stops
 * only when `maxPending` or `maxPendingBytes` is reached (`handleMessage` is mqtt.js's documented
 * back-pressure hook); MQTT 5 Receive Maximum asks Mosquitto to keep at most
 * `receiveMaximum` messages in flight to us, which normally keeps us below.
 */
export function startSubscriber(
  options: SubscriberOptions,
  handlers: SubscriberHandlers,
): Subscriber {
  assertMqttInternals();
  const { logger } = options;
  let paused = false;
  let everConnected = false;
  let subscribed = false;
  let waiting: (() => void)[] = [];
  let corked = false;

  const clientOptions: IClientOptions = {
    clientId: options.clientId,
    ...options.security,
    clean: false,
    protocolVersion: 5,
    keepalive: options.keepaliveSeconds,
    reconnectPeriod: options.reconnectPeriodMs,
    connectTimeout: 10_000,
    resubscribe: false,
    // mqtt.js calls its debug logger several times per packet; a no-op is measurably cheaper.
    log: () => {},
    properties: {
      sessionExpiryInterval: options.sessionExpirySeconds,
      receiveMaximum: options.receiveMaximum,
    },
    customHandleAcks: (_topic, payload, packet: IPublishPacket, callback) => {
      // Paused: never call back, so neither this PUBLISH nor any later one is acknowledged.
      if (paused) return;
      handlers.onMessage(
        {
          topic: packet.topic,
          payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
          qos: packet.qos,
          retained: packet.retain,
        },
        packet.qos > 0 ? packet.messageId : undefined,
      );
      callback(0);
    },
  };
  const client: MqttClient = mqtt.connect(options.url, clientOptions);
  const writePuback = takeOverPubacks(client);
  const settingNames = { prefix: 'mqtt' } as const;
  const target = mqttTarget(options.url, options.security);
  const firstConnection = firstMqttConnection(client, target, settingNames);
  let problem: string | undefined;

  client.on('message', (topic, payload, packet: IPublishPacket) => {
    // QoS 1 and 2 went through customHandleAcks already.
    if (packet.qos !== 0) return;
    handlers.onMessage(
      { topic, payload, qos: 0, retained: packet.retain },
      undefined,
    );
  });

  const roomLeft = () =>
    handlers.pending() < options.maxPending &&
    handlers.pendingBytes() < options.maxPendingBytes;
  client.handleMessage = (_packet, callback) => {
    if (roomLeft()) callback();
    else waiting.push(() => callback());
  };
  const release = () => {
    const ready = waiting;
    waiting = [];
    ready.forEach(cb => cb());
  };

  client.on('connect', connack => {
    problem = undefined;
    logger.info(
      { sessionPresent: connack.sessionPresent, clientId: options.clientId },
      'MQTT connected',
    );
    // On the first connect a new session is normal; on a reconnect it means Mosquitto forgot us.
    if (everConnected && !connack.sessionPresent) {
      logger.warn(
        { clientId: options.clientId },
        'MQTT session was not present on reconnect: messages Mosquitto held for the bridge may be lost (check persistence and session expiry)',
      );
      handlers.onSessionLost();
    }
    everConnected = true;
    handlers.onConnection(true);
    // Subscribing on every connect covers a broker that lost the session;
    // rh=1 stops a re-subscribe from replaying retained messages.
    client.subscribe(options.filters, { qos: 1, rh: 1 }, (err, granted) => {
      if (err) {
        logger.error({ err }, 'MQTT subscribe failed');
        return;
      }
      const refused = (granted ?? []).filter(g => g.qos !== 1);
      if (refused.length > 0)
        logger.error({ refused }, 'MQTT subscriptions refused or downgraded');
      subscribed = refused.length === 0;
      logger.info({ filters: options.filters }, 'MQTT subscribed');
    });
  });
  client.on('close', () => {
    subscribed = false;
    handlers.onConnection(false);
    release();
  });
  client.on('reconnect', () => logger.info('MQTT reconnecting'));
  client.on('error', err => {
    // Reconnecting cannot fix these: say which setting to change, in the log and in /health.
    problem = explainMqttFailure(err, target, settingNames);
    if (problem) logger.error({ setting: problem }, 'MQTT connection refused');
    else logger.warn({ err: err.message }, 'MQTT error');
  });
  client.on('disconnect', packet =>
    logger.warn(
      { reasonCode: packet.reasonCode },
      'MQTT broker sent DISCONNECT',
    ),
  );

  return {
    puback(messageId) {
      if (!client.connected) return;
      // One Kafka ack releases a whole batch of PUBACKs: one socket write for all of them.
      const stream = client.stream;
      if (!corked && stream) {
        corked = true;
        stream.cork();
        process.nextTick(() => {
          corked = false;
          stream.uncork();
        });
      }
      writePuback(messageId);
    },
    resume() {
      if (!paused && roomLeft()) release();
    },
    pause() {
      paused = true;
    },
    end: () =>
      new Promise<void>(resolve => client.end(false, {}, () => resolve())),
    firstConnection,
    get problem() {
      return problem;
    },
    get connected() {
      return client.connected;
    },
    get subscribed() {
      return subscribed;
    },
  };
}
