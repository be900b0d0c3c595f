import type { Logger } from '@homelab/service-kit';
import mqtt, { IClientOptions, IPublishPacket, MqttClient, Packet } from 'mqtt';
import { MqttMessage } from './record';

export interface SubscriberOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  filters: string[];
  keepaliveSeconds: number;
  sessionExpirySeconds: number;
  receiveMaximum: number;
  reconnectPeriodMs: number;
  /** Stop reading from the socket while this many messages are unacknowledged. */
  maxPending: number;
  logger: Logger;
}

export interface SubscriberHandlers {
  /** Every PUBLISH, in arrival order, exactly once per delivery by Mosquitto. */
  onMessage(message: MqttMessage, messageId: number | undefined): void;
  /** The connection went up or down; on down, unsent PUBACKs are void. */
  onConnection(up: boolean): void;
  pending(): number;
}

export interface Subscriber {
  /** Sends one PUBACK on the current connection; only delivery.ts calls this. */
  puback(messageId: number): void;
  /** Re-checks the pending bound after acknowledgements. */
  resume(): void;
  /** Stops taking messages: later PUBLISHes stay unacknowledged at Mosquitto. */
  pause(): void;
  end(): Promise<void>;
  readonly connected: boolean;
  readonly subscribed: boolean;
}

type PacketSender = (
  packet: Packet,
  cb?: (err?: Error) => void,
  ...rest: unknown[]
) => void;
interface ClientInternals {
  _sendPacket: PacketSender;
  _writePacket: (packet: Packet, cb?: (err?: Error) => void) => void;
}

/**
 * The MQTT side, built on mqtt.js 5 with a persistent session (clean: false,
 * MQTT 5 session expiry) and QoS 1.
 *
 * mqtt.js handles incoming packets one at a time and sends the PUBACK of a
 * QoS 1 message before it reads the next packet; its `customHandleAcks` hook
 * only delays that, which would hold one message in flight and stall keepalive
 * handling during a Kafka outage. So the PUBACK that mqtt.js produces itself
 * is swallowed here (its callback still runs, so reading goes on), and the
 * real PUBACK is written by `puback()` when delivery.ts says so. Reading stops
 * only when `maxPending` is reached (`handleMessage` is mqtt.js's documented
 * back-pressure hook); MQTT 5 Receive Maximum asks Mosquitto to keep at most
 * `receiveMaximum` messages in flight to us, which normally keeps us below.
 */
export function startSubscriber(
  options: SubscriberOptions,
  handlers: SubscriberHandlers,
): Subscriber {
  const { logger } = options;
  let paused = false;
  let subscribed = false;
  let waiting: (() => void)[] = [];
  let corked = false;

  const clientOptions: IClientOptions = {
    clientId: options.clientId,
    username: options.username,
    password: options.password,
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
  const internals = client as unknown as ClientInternals;

  const send = internals._sendPacket.bind(client);
  internals._sendPacket = (packet, cb, ...rest) => {
    if (packet.cmd === 'puback') {
      cb?.();
      return;
    }
    send(packet, cb, ...rest);
  };

  client.handleMessage = (_packet, callback) => {
    if (handlers.pending() < options.maxPending) callback();
    else waiting.push(() => callback());
  };
  const release = () => {
    const ready = waiting;
    waiting = [];
    ready.forEach(cb => cb());
  };

  client.on('connect', connack => {
    logger.info(
      { sessionPresent: connack.sessionPresent, clientId: options.clientId },
      'MQTT connected',
    );
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
  client.on('error', err => logger.warn({ err: err.message }, 'MQTT error'));
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
      internals._writePacket({
        cmd: 'puback',
        messageId,
        reasonCode: 0,
      } as Packet);
    },
    resume() {
      if (!paused && handlers.pending() < options.maxPending) release();
    },
    pause() {
      paused = true;
    },
    end: () =>
      new Promise<void>(resolve => client.end(false, {}, () => resolve())),
    get connected() {
      return client.connected;
    },
    get subscribed() {
      return subscribed;
    },
  };
}
