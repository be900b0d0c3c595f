import { createHmac } from 'node:crypto';
import { WebSocket } from 'ws';
import { Harness, harnessPerTest, SECRET } from './__testUtils__/testHarness';
import {
  connectClient,
  mintToken,
  RecordingClient,
} from './__testUtils__/testing';
import { eventually } from '@homelab/test-kit';

jest.setTimeout(90_000);

const UNAUTHORIZED = {
  type: 'error',
  code: 'UNAUTHORIZED',
  message: 'Invalid token',
};

/** The original service's refusal: its error frame, then close 1008. */
async function expectRefused(url: string, token: string): Promise<void> {
  const client = await connectClient(url, { token });
  expect((await client.closed).code).toBe(1008);
  expect(client.messages).toEqual([UNAUTHORIZED]);
}

async function subscribe(
  client: RecordingClient,
  frame: Record<string, unknown>,
): Promise<Record<string, any>> {
  const from = client.messages.length;
  client.send({ type: 'subscribe', ...frame });
  return client.next(
    m => m.type === 'subscribed' || m.type === 'error',
    15_000,
    from,
  );
}

/**
 * What the user's own REST API mints (energy-ws accepts the same token):
 * HS256 with `sub` and `exp`, and no streams claim. Built by hand, without
 * this project's helpers.
 */
function restApiToken(secret: string): string {
  const part = (value: object) =>
    Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({
    sub: 'user@homelab',
    exp: Math.floor(Date.now() / 1000) + 3600,
  })}`;
  return `${input}.${createHmac('sha256', secret)
    .update(input)
    .digest('base64url')}`;
}

describe('energy-ws live-token scope', () => {
  let h: Harness;
  harnessPerTest(created => (h = created));

  it('a token scoped to heatpump:hp1 gets FORBIDDEN for energy and hp2, and never receives hp2', async () => {
    const service = await h.start({ server: { resumeBufferRecords: 0 } });
    const token = await mintToken(SECRET, { streams: ['heatpump:hp1'] });
    const client = await connectClient(service.url, { token });

    expect(await subscribe(client, { streams: ['energy'] })).toEqual({
      type: 'error',
      code: 'FORBIDDEN',
      message:
        'Your token does not allow stream "energy"; it allows: heatpump:hp1',
    });
    expect(
      await subscribe(client, { streams: ['heatpump'], devices: ['hp2'] }),
    ).toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('device "hp2"'),
    });
    // No device filter: the scope narrows the subscribe.
    expect(await subscribe(client, { streams: ['heatpump'] })).toEqual({
      type: 'subscribed',
      streams: ['heatpump'],
      devices: ['hp1'],
    });
    const first = await h.produce('heatpump', 'hp1', 1);
    await h.produce('heatpump', 'hp2', 3);
    await h.produce('energy', 'hp1', 1);
    const last = await h.produce('heatpump', 'hp1', 2);
    await eventually('the hp1 records', () => client.data().length >= 3, {
      timeoutMs: 15_000,
      intervalMs: 20,
    });
    // A ping round trip gives any stray record the time to arrive first.
    client.send({ type: 'ping' });
    await client.next(m => m.type === 'pong');
    expect(client.data().map(m => `${m.device_id}@${m.position}`)).toEqual(
      [...first, ...last].map(o => `hp1@heatpump:0:${o}`),
    );

    // Replayed records pass the same scope: a resume from Kafka skips hp2.
    client.socket.terminate();
    const again = await connectClient(service.url, { token });
    expect(
      await subscribe(again, {
        streams: ['heatpump'],
        resume: [`heatpump:0:${first[0]}`],
      }),
    ).toMatchObject({ type: 'subscribed' });
    await eventually('the replay', () => again.data().length >= 2, {
      timeoutMs: 15_000,
      intervalMs: 20,
    });
    const live = await h.produce('heatpump', 'hp1', 1);
    await eventually('a live hp1 record', () => again.data().length >= 3, {
      timeoutMs: 15_000,
      intervalMs: 20,
    });
    expect(again.data().map(m => m.position)).toEqual(
      [...last, ...live].map(o => `heatpump:0:${o}`),
    );
    expect(
      await h.metric(service, 'energy_ws_client_errors_total'),
    ).toBeGreaterThanOrEqual(2);
  });

  it('refuses a token without exp, and one with the wrong aud or iss when configured', async () => {
    const service = await h.start({
      auth: { audience: 'energy-ws', issuer: 'homelab-backstage' },
    });
    const good = { audience: 'energy-ws', issuer: 'homelab-backstage' };
    await expectRefused(
      service.url,
      await mintToken(SECRET, { ...good, expiresInS: null }),
    );
    await expectRefused(
      service.url,
      await mintToken(SECRET, { ...good, audience: 'grafana' }),
    );
    await expectRefused(
      service.url,
      await mintToken(SECRET, { ...good, issuer: 'someone-else' }),
    );
    await expectRefused(service.url, await mintToken(SECRET));
    // A normal client still gets data.
    const client = await connectClient(service.url, {
      token: await mintToken(SECRET, good),
    });
    await subscribe(client, { streams: ['temperature'] });
    const [offset] = await h.produce('temperature', 't1', 1);
    await eventually('client.data()[0]', () => client.data()[0], {
      timeoutMs: 15_000,
      intervalMs: 20,
    });
    expect(client.data()[0].position).toBe(`temperature:0:${offset}`);
  });

  it('strict mode (the default) refuses a token without the streams claim', async () => {
    const service = await h.start();
    await expectRefused(service.url, restApiToken(SECRET));
    expect(
      (await service.metrics.authFailures.get()).values.find(
        v => v.labels.reason === 'no_streams_claim',
      )?.value,
    ).toBe(1);
  });

  it('with strict mode off, a client written for the original (Rust) energy-ws with a REST API token sees every stream', async () => {
    const service = await h.start({ auth: { requireStreamsClaim: false } });
    // Only what existing clients do: URL with ?token=, subscribe, ping.
    const socket = new WebSocket(
      `ws://127.0.0.1:${service.port}/ws/energy?token=${restApiToken(SECRET)}`,
    );
    const received: any[] = [];
    socket.on('message', data => received.push(JSON.parse(data.toString())));
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    socket.send(
      JSON.stringify({
        type: 'subscribe',
        streams: ['energy', 'heatpump', 'temperature'],
      }),
    );
    socket.send(JSON.stringify({ type: 'ping' }));
    await eventually(
      "received.find(m => m.type === 'pong')",
      () => received.find(m => m.type === 'pong'),
      { timeoutMs: 15_000, intervalMs: 20 },
    );
    await h.produce('energy', 'meter1', 1, { active_power_total: 1289 });
    await h.produce('heatpump', 'hp2', 1);
    await h.produce('temperature', 't1', 1);
    await eventually(
      'a record of each stream',
      () => received.filter(m => m.type === 'data').length === 3,
      { timeoutMs: 15_000, intervalMs: 20 },
    );
    const data = received.filter(m => m.type === 'data');
    expect(data.map(m => m.stream).sort()).toEqual([
      'energy',
      'heatpump',
      'temperature',
    ]);
    expect(data.find(m => m.stream === 'energy')).toMatchObject({
      type: 'data',
      data: { fields: { active_power_total: 1289 } },
    });
    expect(received.some(m => m.type === 'error')).toBe(false);
    socket.close();
  });
});
