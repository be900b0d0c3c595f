/**
 * @jest-environment node
 */
import type { DataMessage } from '@homelab/plugin-streaming-common';
import {
  LiveConnection,
  LiveConnectionOptions,
  LiveConnectionState,
} from './LiveConnection';
import { EnergyWsTestServer } from './__testUtils__/EnergyWsTestServer';
import { eventually } from '@homelab/test-kit';

const fast = {
  backoff: { initialMs: 50, maxMs: 200, jitter: 0 },
  openTimeoutMs: 2000,
  pingIntervalMs: 1000,
};

function client(
  server: EnergyWsTestServer,
  overrides: Partial<LiveConnectionOptions> = {},
) {
  const received: DataMessage[] = [];
  const states: LiveConnectionState[] = [];
  const connection = new LiveConnection({
    ...fast,
    fetchToken: async () => server.token(),
    streams: ['energy'],
    onData: m => received.push(m),
    onState: s => states.push(s),
    ...overrides,
  });
  connection.start();
  const status = () => states[states.length - 1]?.status;
  return {
    connection,
    received,
    states,
    status,
    values: () => received.map(m => m.data.fields.v),
  };
}

jest.setTimeout(20_000);

describe('LiveConnection', () => {
  let server: EnergyWsTestServer;
  let stopClient: (() => void) | undefined;
  beforeEach(async () => {
    server = await new EnergyWsTestServer().start();
  });
  afterEach(async () => {
    stopClient?.();
    await server.close();
  });

  it('subscribes with the token in Sec-WebSocket-Protocol and goes live', async () => {
    const c = client(server, { devices: ['meter1'] });
    stopClient = () => c.connection.stop();
    await eventually('live', () => c.status() === 'live', {
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    expect(c.states[0].status).toBe('connecting');
    expect(server.offeredTokens[0]).toMatch(/^test\.1\./);
    expect(server.subscribes[0]).toEqual({
      streams: ['energy'],
      devices: ['meter1'],
      resume: undefined,
    });
    server.publish('meter1', { v: 1 });
    server.publish('meter2', { v: 2 });
    server.publish('meter1', { v: 3 });
    await eventually('two records', () => c.received.length === 2, {
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    expect(c.values()).toEqual([1, 3]);
  });

  it('reconnects after the server restarts and resumes from its last position without gap or duplicate', async () => {
    const c = client(server);
    stopClient = () => c.connection.stop();
    await eventually('live', () => c.status() === 'live', {
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    for (let v = 1; v <= 3; v++) server.publish('meter1', { v });
    await eventually('first records', () => c.received.length === 3, {
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    const port = server.port;
    // The server goes away abruptly; records keep arriving in Kafka meanwhile.
    await server.kill();
    await eventually('reconnecting', () => c.status() === 'reconnecting', {
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    expect(c.states[c.states.length - 1].reason).toBe(
      'the connection to energy-ws was lost (close code 1006)',
    );
    await eventually(
      'a failed reconnect',
      () => c.states.find(s => s.reason?.startsWith('cannot reach energy-ws')),
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    const restarted = new EnergyWsTestServer();
    // The same log: a restarted energy-ws still has Kafka behind it.
    (restarted as any).log = (server as any).log;
    for (let v = 4; v <= 6; v++) restarted.publish('meter1', { v });
    await restarted.start(port);
    server = restarted;
    await eventually('live again', () => c.status() === 'live', {
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    server.publish('meter1', { v: 7 });
    await eventually('all seven records', () => c.received.length === 7, {
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    expect(c.values()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(server.subscribes[0].resume).toEqual([c.received[2].position]);
  });

  it('hands over to a new token before expiry without dropping out of live', async () => {
    const c = client(server, { fetchToken: async () => server.token(3000) });
    stopClient = () => c.connection.stop();
    await eventually('live', () => c.status() === 'live', {
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    let v = 0;
    const producer = setInterval(
      () => server.publish('meter1', { v: ++v }),
      20,
    );
    try {
      await eventually(
        'two refreshes',
        () => server.offeredTokens.length >= 3,
        { timeoutMs: 15_000, intervalMs: 20 },
      );
      await eventually(
        'records after refresh',
        () => c.received.length >= v - 1 && v > 60,
        { timeoutMs: 10_000, intervalMs: 20 },
      );
    } finally {
      clearInterval(producer);
    }
    await eventually('every record', () => c.received.length === v, {
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    expect(c.values()).toEqual(Array.from({ length: v }, (_, i) => i + 1));
    expect(c.states.map(s => s.status)).toEqual(['connecting', 'live']);
    // Old sockets are closed after each handover (at most one new one may be opening right now).
    expect(server.connections()).toBeLessThanOrEqual(2);
    expect(server.offeredTokens.length).toBeGreaterThanOrEqual(3);
  });

  it('reconnects with a new token when the server says TOKEN_EXPIRED', async () => {
    let first = true;
    const c = client(server, {
      fetchToken: async () => {
        // Claims a long lifetime but dies in 300 ms: the client cannot refresh in time.
        const token = server.token(first ? 300 : 60_000);
        first = false;
        return { ...token, expiresInSeconds: 60 };
      },
    });
    stopClient = () => c.connection.stop();
    await eventually(
      'second connection live',
      () => server.offeredTokens.length === 2 && c.status() === 'live',
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    expect(c.states.some(s => s.code === 'TOKEN_EXPIRED')).toBe(true);
  });

  it('reports UNAUTHORIZED from the socket as an error with the reason, and keeps retrying', async () => {
    server.rejectTokens = true;
    const c = client(server);
    stopClient = () => c.connection.stop();
    const state = await eventually(
      'error',
      () => c.states.find(s => s.status === 'error'),
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    expect(state).toMatchObject({
      code: 'UNAUTHORIZED',
      reason: 'energy-ws refused the token: Invalid token (UNAUTHORIZED)',
    });
    expect(state.retryAt).toBeDefined();
    server.rejectTokens = false;
    await eventually(
      'live once tokens are accepted',
      () => c.status() === 'live',
      { timeoutMs: 10_000, intervalMs: 20 },
    );
  });

  it('stops at a refusal from the token route and retries when asked', async () => {
    let allowed = false;
    const c = client(server, {
      fetchToken: async () => {
        if (!allowed)
          throw Object.assign(
            new Error('permission streaming.live.read denied'),
            { response: { status: 403 } },
          );
        return server.token();
      },
    });
    stopClient = () => c.connection.stop();
    const state = await eventually(
      'error',
      () => c.states.find(s => s.status === 'error'),
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    expect(state.code).toBe('TOKEN_ROUTE');
    expect(state.retryAt).toBeUndefined();
    expect(state.reason).toBe(
      'the streaming backend gave no live token (HTTP 403): permission streaming.live.read denied',
    );
    allowed = true;
    c.connection.retryNow();
    await eventually('live after retry', () => c.status() === 'live', {
      timeoutMs: 10_000,
      intervalMs: 20,
    });
  });

  it('turns a long outage into an error that keeps retrying', async () => {
    const c = client(server, { errorAfterAttempts: 3 });
    stopClient = () => c.connection.stop();
    await eventually('live', () => c.status() === 'live', {
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    await server.kill();
    const state = await eventually(
      'error',
      () => c.states.find(s => s.status === 'error'),
      { timeoutMs: 5000, intervalMs: 20 },
    );
    expect(state).toMatchObject({ code: 'UNREACHABLE', attempt: 3 });
    expect(state.reason).toContain(
      `cannot reach energy-ws at ws://127.0.0.1:${server.port}/ws/energy`,
    );
  });
});
