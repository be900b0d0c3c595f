import { MqttClient, Packet } from 'mqtt';

/**
 * The two private mqtt.js methods the bridge relies on to send the PUBACK
 * itself (see subscriber.ts), in one place. `mqtt` is pinned to an exact
 * version in package.json; this check catches an upgrade that changed them,
 * before any message is taken.
 *
 * - `_sendPacket(packet, cb, cbStorePut, noStore)`: every packet mqtt.js
 *   sends goes through it, including the PUBACK it would send on its own.
 * - `_writePacket(packet, cb)`: writes one packet to the socket.
 */
type PacketCallback = (err?: Error) => void;
type SendPacket = (
  packet: Packet,
  cb?: PacketCallback,
  ...rest: unknown[]
) => void;
interface ClientInternals {
  _sendPacket: SendPacket;
  _writePacket: (packet: Packet, cb?: PacketCallback) => void;
}

const EXPECTED = { _sendPacket: 4, _writePacket: 2 } as const;

/** Throws, naming what to do, when this mqtt.js lacks the methods as the bridge knows them. */
export function assertMqttInternals(
  prototype: object = MqttClient.prototype,
): void {
  for (const [name, arity] of Object.entries(EXPECTED)) {
    const method = (prototype as Record<string, unknown>)[name];
    if (typeof method !== 'function' || method.length !== arity) {
      const found =
        typeof method === 'function'
          ? `a function of ${method.length} parameters`
          : typeof method;
      throw new Error(
        `mqtt.js MqttClient.${name} is ${found}, expected a function of ${arity} parameters: ` +
          'the installed mqtt version is not the one the bridge was built for. ' +
          'Install the exact mqtt version pinned in services/mqtt-kafka-bridge/package.json, ' +
          'or re-check src/mqttInternals.ts against the new version before changing the pin.',
      );
    }
  }
}

/**
 * Swallows the PUBACKs mqtt.js would send by itself (their callbacks still
 * run, so mqtt.js goes on reading) and returns the writer for the real ones.
 */
export function takeOverPubacks(
  client: MqttClient,
): (messageId: number) => void {
  const internals = client as unknown as ClientInternals;
  const send = internals._sendPacket.bind(client);
  internals._sendPacket = (packet, cb, ...rest) => {
    if (packet.cmd === 'puback') {
      cb?.();
      return;
    }
    send(packet, cb, ...rest);
  };
  return messageId =>
    internals._writePacket({
      cmd: 'puback',
      messageId,
      reasonCode: 0,
    } as Packet);
}
