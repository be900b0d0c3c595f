import { AddressInfo, Server, Socket, createServer, connect } from 'node:net';

/**
 * A TCP proxy between an MQTT client and Mosquitto that reads the packets
 * on the wire: what the client really sent (PUBACKs) and what it was sent
 * (QoS 1 PUBLISHes), independent of the client's own counters.
 */
export interface WireTap {
  url: string;
  /** Packet ids of PUBACKs the client sent, in order. */
  readonly pubacks: number[];
  /** QoS 1/2 PUBLISHes Mosquitto sent to the client. */
  readonly publishes: number;
  close(): Promise<void>;
}

const PUBLISH = 3;
const PUBACK = 4;

/** Splits a byte stream into MQTT packets (fixed header + remaining length). */
function packetReader(
  onPacket: (type: number, flags: number, body: Buffer) => void,
) {
  let pending = Buffer.alloc(0);
  return (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      let length = 0;
      let multiplier = 1;
      let i = 1;
      for (; i < 5 && i < pending.length; i++) {
        length += (pending[i] & 0x7f) * multiplier;
        multiplier *= 128;
        if ((pending[i] & 0x80) === 0) break;
      }
      if (i >= pending.length || pending.length < i + 1 + length) return;
      const body = pending.subarray(i + 1, i + 1 + length);
      onPacket(pending[0] >> 4, pending[0] & 0x0f, body);
      pending = pending.subarray(i + 1 + length);
    }
  };
}

export async function startWireTap(brokerUrl: string): Promise<WireTap> {
  const broker = new URL(brokerUrl);
  const sockets = new Set<Socket>();
  const tap = { pubacks: [] as number[], publishes: 0 };
  const server: Server = createServer(client => {
    const upstream = connect(Number(broker.port), broker.hostname);
    sockets.add(client).add(upstream);
    client.on(
      'data',
      packetReader((type, _flags, body) => {
        if (type === PUBACK) tap.pubacks.push(body.readUInt16BE(0));
      }),
    );
    upstream.on(
      'data',
      packetReader((type, flags) => {
        if (type === PUBLISH && ((flags >> 1) & 0x03) > 0) tap.publishes++;
      }),
    );
    client.pipe(upstream);
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    get pubacks() {
      return tap.pubacks;
    },
    get publishes() {
      return tap.publishes;
    },
    close: () =>
      new Promise<void>(resolve => {
        sockets.forEach(s => s.destroy());
        server.close(() => resolve());
      }),
  };
}
