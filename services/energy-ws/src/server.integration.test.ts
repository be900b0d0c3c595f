import { WebSocket } from 'ws';
import { WS_SUBPROTOCOL } from '@homelab/pipeline-contracts';
import { Harness, harnessPerTest, SECRET } from './__testUtils__/testHarness';
import {
  attackTokens,
  connectClient,
  mintToken,
} from './__testUtils__/testing';
import { eventually } from '@homelab/test-kit';

jest.setTimeout(90_000);

describe('energy-ws against Kafka', () => {
  let h: Harness;
  harnessPerTest(created => (h = created));

  it('1: serves a client written from the seed protocol text', async () => {
    const service = await h.start();
    const token = await mintToken(SECRET);
    // Only what existing clients do: URL with ?token=, subscribe, ping.
    const socket = new WebSocket(
      `ws://127.0.0.1:${service.port}/ws/energy?token=${token}`,
    );
    const received: any[] = [];
    socket.on('message', data => received.push(JSON.parse(data.toString())));
    await new Promise(resolve => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'subscribe', streams: ['energy'] }));
    socket.send(JSON.stringify({ type: 'ping' }));
    const pong = await eventually(
      "received.find(m => m.type === 'pong')",
      () => received.find(m => m.type === 'pong'),
      { timeoutMs: 15_000, intervalMs: 20 },
    );
    expect(new Date(pong.timestamp).toISOString()).toBe(pong.timestamp);

    await h.produce('energy', 'meter1', 1, {
      active_power_total: 1289,
      voltage_l1: 236,
    });
    const data = await eventually(
      "received.find(m => m.type === 'data')",
      () => received.find(m => m.type === 'data'),
      { timeoutMs: 15_000, intervalMs: 20 },
    );
    expect(data).toMatchObject({
      type: 'data',
      stream: 'energy',
      data: {
        fields: { active_power_total: 1289, voltage_l1: 236, power_kw: 0 },
      },
    });
    expect(Number.isNaN(Date.parse(data.timestamp))).toBe(false);
    expect(Number.isNaN(Date.parse(data.data.ts))).toBe(false);
    // Additive extensions only.
    expect(data.device_id).toBe('meter1');
    expect(data.position).toBe('energy:0:0');

    const metrics = await (
      await fetch(`http://127.0.0.1:${service.port}/metrics`)
    ).text();
    for (const name of [
      'redpanda_messages_consumed_total',
      'redpanda_consumer_lag',
      'redpanda_broadcast_count',
      'redpanda_websocket_clients_connected',
      'energy_ws_slow_consumer_disconnects_total',
      'energy_ws_resumes_total',
    ]) {
      expect(metrics).toContain(name);
    }
    expect(metrics).toMatch(/redpanda_websocket_clients_connected 1/);
    expect(
      (await fetch(`http://127.0.0.1:${service.port}/health`)).status,
    ).toBe(200);

    // Graceful shutdown tells the client to go elsewhere.
    const closed = new Promise<number>(resolve =>
      socket.once('close', code => resolve(code)),
    );
    await service.stop('test');
    expect(await closed).toBe(1001);
    expect(received.at(-1)).toMatchObject({
      type: 'error',
      code: 'SHUTTING_DOWN',
    });
  });

  it('filters by device and by stream', async () => {
    const service = await h.start();
    const client = await connectClient(service.url, {
      token: await mintToken(SECRET),
    });
    client.send({
      type: 'subscribe',
      streams: ['energy', 'heatpump'],
      devices: ['meter2', 'hp1'],
    });
    await client.next(m => m.type === 'subscribed');
    await h.produce('energy', 'meter1', 2);
    await h.produce('energy', 'meter2', 2);
    await h.produce('temperature', 'meter2', 2);
    await h.produce('heatpump', 'hp1', 1);
    await eventually(
      'client.data().length >= 3',
      () => client.data().length >= 3,
      { timeoutMs: 15_000, intervalMs: 20 },
    );
    await h.produce('energy', 'meter2', 1);
    await eventually(
      'client.data().length >= 4',
      () => client.data().length >= 4,
      { timeoutMs: 15_000, intervalMs: 20 },
    );
    expect(
      client
        .data()
        .map(m => `${m.stream}/${m.device_id}`)
        .sort(),
    ).toEqual([
      'energy/meter2',
      'energy/meter2',
      'energy/meter2',
      'heatpump/hp1',
    ]);
  });

  it('2: refuses at least 8 kinds of bad token with the seed error and a close', async () => {
    const service = await h.start();
    const attacks = await attackTokens(SECRET);
    expect(Object.keys(attacks).length).toBeGreaterThanOrEqual(8);
    for (const [name, token] of Object.entries(attacks)) {
      const client = await connectClient(service.url, { token });
      const { code } = await client.closed;
      expect({ name, code, first: client.messages[0] }).toEqual({
        name,
        code: 1008,
        first: {
          type: 'error',
          code: 'UNAUTHORIZED',
          message: 'Invalid token',
        },
      });
    }
    // The same through the subprotocol header.
    const viaHeader = await connectClient(service.url, {
      protocols: [WS_SUBPROTOCOL, `bearer.${attacks.wrongSecret}`],
    });
    expect((await viaHeader.closed).code).toBe(1008);
    expect(viaHeader.messages[0]).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await h.metric(service, 'energy_ws_auth_failures_total')).toBe(
      Object.keys(attacks).length + 1,
    );
    expect(service.clientCount()).toBe(0);
  });

  it('accepts the token in Sec-WebSocket-Protocol and closes when it expires', async () => {
    const service = await h.start();
    const client = await connectClient(service.url, {
      protocols: [
        WS_SUBPROTOCOL,
        `bearer.${await mintToken(SECRET, { expiresInS: 2 })}`,
      ],
    });
    expect(client.socket.protocol).toBe(WS_SUBPROTOCOL);
    client.send({ type: 'ping' });
    await client.next(m => m.type === 'pong');
    const { code } = await client.closed;
    expect(code).toBe(1008);
    expect(client.messages.at(-1)).toMatchObject({
      type: 'error',
      code: 'TOKEN_EXPIRED',
    });
  });

  it('3: answers malformed frames with an error and keeps the connection', async () => {
    const service = await h.start();
    const client = await connectClient(service.url, {
      token: await mintToken(SECRET),
    });
    const frames: Array<[string, string]> = [
      ['not json at all', 'BAD_REQUEST'],
      ['{"type":"dance"}', 'UNKNOWN_TYPE'],
      ['{"type":"subscribe","streams":["gas"]}', 'UNKNOWN_STREAM'],
      ['{"type":"subscribe"}', 'BAD_REQUEST'],
      [
        '{"type":"subscribe","streams":["energy"],"resume":["nonsense"]}',
        'BAD_REQUEST',
      ],
      [
        JSON.stringify({ type: 'ping', pad: 'x'.repeat(200 * 1024) }),
        'FRAME_TOO_LARGE',
      ],
    ];
    for (const [frame, code] of frames) {
      const from = client.messages.length;
      client.send(frame);
      expect(
        await client.next(m => m.type === 'error', 10_000, from),
      ).toMatchObject({ type: 'error', code });
    }
    client.socket.send(Buffer.from([0xff, 0x00, 0x13]));
    await client.next(
      m => m.type === 'error' && m.code === 'BAD_REQUEST',
      10_000,
      frames.length,
    );
    client.send({ type: 'subscribe', streams: ['energy'] });
    await client.next(m => m.type === 'subscribed');
    await h.produce('energy', 'meter1', 1);
    await eventually(
      'client.data().length === 1',
      () => client.data().length === 1,
      { timeoutMs: 15_000, intervalMs: 20 },
    );
    expect(client.isClosed()).toBe(false);
  });

  it('4: refuses connection maxConnections + 1 cleanly', async () => {
    const service = await h.start({ server: { maxConnections: 3 } });
    const token = await mintToken(SECRET);
    const clients = await Promise.all(
      [1, 2, 3].map(() => connectClient(service.url, { token })),
    );
    const extra = await connectClient(service.url, { token });
    expect((await extra.closed).code).toBe(1013);
    expect(extra.messages[0]).toMatchObject({
      type: 'error',
      code: 'MAX_CONNECTIONS',
    });
    expect(service.clientCount()).toBe(3);
    // The slot frees when a client leaves.
    clients[0].socket.close();
    await eventually(
      'service.clientCount() === 2',
      () => service.clientCount() === 2,
      { timeoutMs: 15_000, intervalMs: 20 },
    );
    const again = await connectClient(service.url, { token });
    again.send({ type: 'ping' });
    await again.next(m => m.type === 'pong');
    expect(await h.metric(service, 'energy_ws_connections_refused_total')).toBe(
      1,
    );
  });

  it('5: cuts off a client that stops reading while the others keep receiving', async () => {
    const service = await h.start({
      server: { maxSendQueueBytes: 64 * 1024 },
    });
    const token = await mintToken(SECRET);
    const fast = await connectClient(service.url, { token });
    const slow = await connectClient(service.url, { token });
    for (const c of [fast, slow]) {
      c.send({ type: 'subscribe', streams: ['energy'] });
      await c.next(m => m.type === 'subscribed');
    }
    // Stop reading: the kernel buffers fill, then the server's queue.
    (slow.socket as any)._socket.pause();
    const padding = Object.fromEntries(
      Array.from({ length: 60 }, (_, i) => [`field_${i}`, i + 0.123456789]),
    );
    let produced = 0;
    await h.repeatUntilCounted(
      service,
      'energy_ws_slow_consumer_disconnects_total',
      async () => {
        await h.produce('energy', 'meter1', 500, padding);
        produced += 500;
      },
      60_000,
      'the slow client to be cut off',
    );
    await h.produce('energy', 'meter1', 10, padding);
    produced += 10;
    await eventually(
      `the fast client to get all ${produced} records`,
      () => fast.data().length === produced,
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    expect(fast.isClosed()).toBe(false);
    expect(service.clientCount()).toBe(1);
    // Once it reads again, the slow client learns why it was cut off.
    (slow.socket as any)._socket.resume();
    expect((await slow.closed).code).toBe(1008);
    expect(slow.messages.at(-1)).toMatchObject({
      type: 'error',
      code: 'SLOW_CONSUMER',
    });
    expect(slow.data().length).toBeLessThan(produced);
  });

  it.each([
    ['the in-memory buffer', 10_000],
    ['Kafka', 0],
  ])(
    '6: a client that reconnects with its position gets exactly what it missed from %s, then live',
    async (_from, buffer) => {
      const service = await h.start({
        server: { resumeBufferRecords: buffer },
      });
      const token = await mintToken(SECRET);
      const first = await connectClient(service.url, { token });
      first.send({ type: 'subscribe', streams: ['energy'] });
      await first.next(m => m.type === 'subscribed');
      await h.produce('energy', 'meter1', 5);
      await eventually(
        'first.data().length === 5',
        () => first.data().length === 5,
        { timeoutMs: 15_000, intervalMs: 20 },
      );
      const last = first.data().at(-1)!.position;
      first.socket.terminate();
      await first.closed;

      const missed = await h.produce('energy', 'meter1', 7);
      await eventually(
        "(await h.metric(service, 'redpanda_messages_consumed_total')) >= 12",
        async () =>
          (await h.metric(service, 'redpanda_messages_consumed_total')) >= 12,
        { timeoutMs: 15_000, intervalMs: 20 },
      );

      const second = await connectClient(service.url, { token });
      second.send({ type: 'subscribe', streams: ['energy'], resume: [last] });
      // Live records race the replay: they must neither overtake nor repeat it.
      const live = await h.produce('energy', 'meter1', 3);
      await eventually('the live records', () => second.data().length >= 10, {
        timeoutMs: 30_000,
        intervalMs: 20,
      });
      // Give a stray duplicate the chance to show up.
      second.send({ type: 'ping' });
      await second.next(m => m.type === 'pong');
      expect(second.data().map(m => m.position)).toEqual(
        [...missed, ...live].map(o => `energy:0:${o}`),
      );
      expect(second.messages[0]).toMatchObject({
        type: 'subscribed',
        replayFrom: [last],
      });
      expect(await h.metric(service, 'energy_ws_resumes_total')).toBe(1);
    },
  );

  it('6: says so when the position is older than what Kafka still has', async () => {
    const service = await h.start({ server: { resumeBufferRecords: 0 } });
    await h.produce('energy', 'meter1', 10);
    // Moves the log start offset, as retention would.
    await h.admin.fetchTopicMetadata({ topics: [h.topics.energy] });
    await h.admin.deleteTopicRecords({
      topic: h.topics.energy,
      partitions: [{ partition: 0, offset: '6' }],
    });
    const client = await connectClient(service.url, {
      token: await mintToken(SECRET),
    });
    client.send({
      type: 'subscribe',
      streams: ['energy'],
      resume: ['energy:0:2'],
    });
    const error = await client.next(m => m.type === 'error');
    expect(error).toMatchObject({
      code: 'POSITION_EXPIRED',
      oldest: ['energy:0:6'],
    });
    await eventually(
      'client.data().length === 4',
      () => client.data().length === 4,
      { timeoutMs: 15_000, intervalMs: 20 },
    );
    expect(client.data().map(m => m.position)).toEqual([
      'energy:0:6',
      'energy:0:7',
      'energy:0:8',
      'energy:0:9',
    ]);
  });

  it('7: two replicas each deliver every record to their own clients', async () => {
    const a = await h.start({ kafka: { replicaId: 'a' } });
    const b = await h.start({ kafka: { replicaId: 'b' } });
    expect([a.groupId, b.groupId]).toEqual([
      `energy-ws-test-${h.id}.a`,
      `energy-ws-test-${h.id}.b`,
    ]);
    const token = await mintToken(SECRET);
    const clients = [
      await connectClient(a.url, { token }),
      await connectClient(b.url, { token }),
    ];
    for (const c of clients) {
      c.send({ type: 'subscribe', streams: ['energy'] });
      await c.next(m => m.type === 'subscribed');
    }
    const offsets = await h.produce('energy', 'meter1', 20);
    for (const c of clients) {
      await eventually('c.data().length === 20', () => c.data().length === 20, {
        timeoutMs: 30_000,
        intervalMs: 20,
      });
      expect(c.data().map(m => m.position)).toEqual(
        offsets.map(o => `energy:0:${o}`),
      );
    }
  });
});
