import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { WebSocket } from 'ws';
import { Harness, harnessPerTest, SECRET } from './__testUtils__/testHarness';
import {
  connectClient,
  mintToken,
  RecordingClient,
} from './__testUtils__/testing';
import { eventually } from '@homelab/test-kit';
import type { EnergyWs } from './server';

jest.setTimeout(180_000);

/** Effectively no rate limit, for tests about other bounds. */
const UNLIMITED = {
  framesPerSecond: 1_000_000,
  burst: 1_000_000,
  closeAfterDropped: 1_000_000,
};

async function subscribed(
  client: RecordingClient,
  frame: Record<string, unknown>,
): Promise<void> {
  const from = client.messages.length;
  client.send({ type: 'subscribe', ...frame });
  await client.next(m => m.type === 'subscribed', 15_000, from);
}

/** A client that hears every energy record: the "nothing published is missing" referee. */
async function bystander(service: EnergyWs): Promise<RecordingClient> {
  const client = await connectClient(service.url, {
    token: await mintToken(SECRET),
  });
  await subscribed(client, { streams: ['energy'] });
  return client;
}

async function expectEverything(
  client: RecordingClient,
  offsets: string[],
): Promise<void> {
  await eventually(
    `all ${offsets.length} records at the bystander`,
    () => client.data().length >= offsets.length,
    { timeoutMs: 30_000, intervalMs: 20 },
  );
  expect(client.data().map(m => m.position)).toEqual(
    offsets.map(o => `energy:0:${o}`),
  );
  expect(client.isClosed()).toBe(false);
}

function openFileLimit(): number {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim());
  } catch {
    return 1024;
  }
}

/** A raw socket that asks for an upgrade with a bad token and then never reads or answers. */
function silentUpgrade(port: number): Promise<net.Socket> {
  return new Promise(resolve => {
    const socket = net.connect({
      port,
      host: '127.0.0.1',
      allowHalfOpen: true,
    });
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      socket.write(
        'GET /ws/energy?token=not-a-jwt HTTP/1.1\r\n' +
          `Host: 127.0.0.1:${port}\r\n` +
          'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
          'Sec-WebSocket-Version: 13\r\n\r\n',
      );
      socket.pause();
      resolve(socket);
    });
    // Refused at accept (the unauthenticated cap): also an answer.
    socket.once('close', () => resolve(socket));
  });
}

describe('energy-ws: no client can hurt the others', () => {
  let h: Harness;
  harnessPerTest(created => (h = created));

  it('rate-limits each connection: RATE_LIMITED once, then closes a client that keeps going', async () => {
    const service = await h.start({
      server: {
        rateLimit: {
          framesPerSecond: 5,
          burst: 10,
          closeAfterDropped: 20,
        },
      },
    });
    const others = await bystander(service);
    const token = await mintToken(SECRET);

    const eager = await connectClient(service.url, { token });
    for (let i = 0; i < 12; i++) eager.send({ type: 'ping' });
    const limited = await eager.next(m => m.type === 'error');
    expect(limited).toMatchObject({
      code: 'RATE_LIMITED',
      message: expect.stringContaining('5 per second'),
    });
    // Within the rate again, the same connection is served.
    await eventually(
      'a pong within the rate',
      async () => {
        const from = eager.messages.length;
        eager.send({ type: 'ping' });
        await new Promise(r => setTimeout(r, 300));
        return eager.messages.slice(from).some(m => m.type === 'pong');
      },
      { timeoutMs: 15_000, intervalMs: 20 },
    );
    expect(eager.isClosed()).toBe(false);

    const flooder = await connectClient(service.url, { token });
    for (let i = 0; i < 200; i++) flooder.send({ type: 'ping' });
    expect((await flooder.closed).code).toBe(1008);
    expect(flooder.messages.filter(m => m.type === 'pong')).toHaveLength(10);
    expect(
      flooder.messages.filter(m => m.type === 'error').map(m => m.code),
    ).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);

    // WebSocket-level pings count as frames too.
    const pinger = await connectClient(service.url, { token });
    for (let i = 0; i < 200; i++) pinger.socket.ping();
    expect((await pinger.closed).code).toBe(1008);

    const offsets = await h.produce('energy', 'meter1', 5);
    await expectEverything(others, offsets);
  });

  it('cuts off a client that pings and never reads, within the send-queue bound', async () => {
    const maxQueue = 64 * 1024;
    const service = await h.start({
      server: { maxSendQueueBytes: maxQueue, rateLimit: UNLIMITED },
    });
    const others = await bystander(service);
    const reader = await connectClient(service.url, {
      token: await mintToken(SECRET),
    });
    const raw = (reader.socket as any)._socket as net.Socket;
    raw.pause();
    const ping = JSON.stringify({ type: 'ping' });
    let sent = 0;
    await h.repeatUntilCounted(
      service,
      'energy_ws_slow_consumer_disconnects_total',
      async () => {
        for (let i = 0; i < 5000; i++) reader.socket.send(ping);
        sent += 5000;
        // Lets the pings reach the server before the next round.
        await new Promise<void>(r => reader.socket.send(ping, () => r()));
      },
      120_000,
      'the non-reading pinger to be cut off',
    );
    expect(service.clientCount()).toBe(1);
    raw.resume();
    expect((await reader.closed).code).toBe(1008);
    expect(reader.messages.at(-1)).toMatchObject({
      type: 'error',
      code: 'SLOW_CONSUMER',
    });
    // The server stopped answering: it queued no more than its bound, the
    // rest of the pongs were never written.
    expect(reader.messages.length).toBeLessThan(sent);
    const offsets = await h.produce('energy', 'meter1', 5);
    await expectEverything(others, offsets);
  });

  it("200 stale-position subscribes from one client do not delay another client's resume past 5 s", async () => {
    const service = await h.start({
      server: {
        resumeBufferRecords: 0,
        maxConcurrentReplays: 2,
        rateLimit: UNLIMITED,
      },
    });
    const offsets = await h.produce('energy', 'meter1', 50);
    const token = await mintToken(SECRET);
    const storm = await connectClient(service.url, { token });
    const patient = await connectClient(service.url, { token });
    // Duplicates and stale positions, all needing Kafka.
    const stale = (i: number) => ({
      type: 'subscribe',
      streams: ['energy'],
      resume: ['energy:0:0', 'energy:0:0', `energy:0:${i % 5}`],
    });

    // Half at once, half one after the other while the other client resumes.
    for (let i = 0; i < 100; i++) storm.send(stale(i));
    const spread = (async () => {
      for (let i = 100; i < 200; i++) {
        const from = storm.messages.length;
        storm.send(stale(i));
        await storm.next(m => m.type === 'subscribed', 15_000, from);
      }
    })();
    const startedMs = Date.now();
    await subscribed(patient, {
      streams: ['energy'],
      resume: [`energy:0:${offsets[44]}`],
    });
    await eventually(
      'the patient client to catch up',
      () => patient.data().length >= 5,
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    const resumedInMs = Date.now() - startedMs;
    expect(resumedInMs).toBeLessThan(5_000);
    expect(patient.data().map(m => m.position)).toEqual(
      offsets.slice(45).map(o => `energy:0:${o}`),
    );
    await spread;

    // The storm's last subscribe wins: after its ack, everything after offset 0 exactly once.
    await eventually(
      'every subscribe acknowledged',
      () => storm.messages.filter(m => m.type === 'subscribed').length === 200,
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    const lastAck = storm.messages.findLastIndex(m => m.type === 'subscribed');
    expect(storm.messages[lastAck].replayFrom).toEqual(['energy:0:0']);
    const afterLastAck = () =>
      storm.messages.slice(lastAck).filter(m => m.type === 'data');
    await eventually(
      "the storm's last replay",
      () => afterLastAck().length >= 49,
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    expect(afterLastAck().map(m => m.position)).toEqual(
      offsets.slice(1).map(o => `energy:0:${o}`),
    );

    // Every replay is accounted for; superseded and cancelled_waiting never
    // created a consumer, and the ones that did left no group behind.
    const replayOutcomes = async (): Promise<Record<string, number>> =>
      Object.fromEntries(
        (await service.metrics.replays.get()).values.map(v => [
          v.labels.outcome,
          v.value,
        ]),
      );
    // The last outcome is counted once its consumer left the group.
    const outcomes = await eventually(
      'an outcome for each of the 201 replays',
      async () => {
        const counted = await replayOutcomes();
        const total = Object.values(counted).reduce((sum, n) => sum + n, 0);
        return total === 201 && counted;
      },
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    expect(outcomes.failed ?? 0).toBe(0);
    expect(
      (outcomes.superseded ?? 0) + (outcomes.cancelled_waiting ?? 0),
    ).toBeGreaterThan(0);
    await eventually(
      'the replay groups to be deleted',
      async () =>
        !(
          await h.admin.listGroups()
        ).groups.some(g => g.groupId.startsWith(`${service.groupId}.replay.`)),
      { timeoutMs: 30_000, intervalMs: 20 },
    );
  });

  it('refuses 5,000 bad-token sockets that never answer at no lasting cost; a real client still gets data within 1 s', async () => {
    const service = await h.start();
    const others = await bystander(service);
    const baseline = service.socketCount();
    // Both ends of each socket live in this process; leave room for the rest.
    const limit = openFileLimit();
    const count = Math.min(5_000, Math.floor((limit - 1_000) / 2));
    if (count < 5_000)
      // eslint-disable-next-line no-console
      console.warn(
        `ulimit -n is ${limit}: opening ${count} sockets, not 5,000`,
      );

    const silent: net.Socket[] = [];
    const before = await h.produce('energy', 'meter1', 3);
    const refusals = async () =>
      (await h.metric(service, 'energy_ws_auth_failures_total')) +
      (await h.metric(service, 'energy_ws_connections_refused_total'));
    for (let wave = 0; silent.length < count; wave++) {
      // Waves below the unauthenticated cap (128), so most reach the token check.
      const size = Math.min(100, count - silent.length);
      silent.push(
        ...(await Promise.all(
          Array.from({ length: size }, () => silentUpgrade(service.port)),
        )),
      );
      await eventually(
        `the server to answer ${silent.length} bad upgrades`,
        async () => (await refusals()) >= silent.length,
        { timeoutMs: 60_000, intervalMs: 20 },
      );
    }
    expect(await refusals()).toBe(count);
    // Every refused socket was released although none answered the close
    // (well before ws's own 30 s wait for a close reply).
    await eventually(
      'the refused sockets to be released',
      () => service.socketCount() <= baseline,
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    expect(silent.filter(s => !s.destroyed).length).toBeGreaterThan(0);

    const startedMs = Date.now();
    const client = await connectClient(service.url, {
      token: await mintToken(SECRET),
    });
    client.send({
      type: 'subscribe',
      streams: ['energy'],
      resume: [`energy:0:${before[0]}`],
    });
    await eventually('resumed data', () => client.data().length >= 2, {
      timeoutMs: 5_000,
      intervalMs: 20,
    });
    expect(Date.now() - startedMs).toBeLessThan(1_000);

    const after = await h.produce('energy', 'meter1', 2);
    await expectEverything(others, [...before, ...after]);
    await eventually('live data', () => client.data().length >= 4, {
      timeoutMs: 15_000,
      intervalMs: 20,
    });
    for (const socket of silent) socket.destroy();
  });

  it('refuses a browser origin outside the allow-list and headers over the default limit at the HTTP upgrade', async () => {
    const service = await h.start({
      server: { allowedOrigins: ['https://portal.homelab.example'] },
    });
    const token = await mintToken(SECRET);
    const status = (options: { origin?: string; url?: string }) =>
      new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(
          options.url ?? `${service.url}?token=${token}`,
          { origin: options.origin },
        );
        socket.once('unexpected-response', (_req, res) =>
          resolve(res.statusCode ?? 0),
        );
        socket.once('open', () => {
          socket.close();
          resolve(101);
        });
        socket.once('error', err => {
          const answer = /Unexpected server response: (\d+)/.exec(err.message);
          if (answer) resolve(Number(answer[1]));
          else reject(err);
        });
      });
    expect(await status({ origin: 'https://evil.example' })).toBe(403);
    expect(await status({ origin: 'https://portal.homelab.example' })).toBe(
      101,
    );
    // Not a browser: no Origin, the token decides.
    expect(await status({})).toBe(101);
    // Node's default 16 KiB header limit: answered before any parsing.
    expect(
      await status({ url: `${service.url}?token=${'a'.repeat(100 * 1024)}` }),
    ).toBe(431);
    expect(
      (await service.metrics.refused.get()).values.find(
        v => v.labels.reason === 'origin',
      )?.value,
    ).toBe(1);
  });
});
