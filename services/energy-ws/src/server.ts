import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Kafka } from 'kafkajs';
import { WebSocketServer, WebSocket } from 'ws';
import {
  createLiveTokenVerifier,
  dataFrame,
  errorFrame,
  INVALID_TOKEN_MESSAGE,
  LIVE_TOKEN_STREAMS_CLAIM,
  LiveTokenResult,
  requireTopics,
  WS_CLOSE,
  WS_PATH,
} from '@homelab/pipeline-contracts';
import {
  connectKafkaAdmin,
  createLogger,
  kafkaClientOptions,
  Logger,
  startOpsServer,
  RunningService,
} from '@homelab/service-kit';
import {
  capUnauthenticated,
  refuseUpgrade,
  refuseWebSocket,
} from './admission';
import { selectSubprotocol, tokenFromRequest } from './auth';
import { EnergyWsConfig, effectiveGroupId, streamTopics } from './config';
import { Connection } from './connection';
import { wireTextFrame } from './socketWriter';
import { startLiveConsumer } from './liveConsumer';
import { createMetrics, Metrics } from './metrics';
import type { StreamRecord } from './streamRecord';
import { RecentRecords } from './recentRecords';
import { KafkaReplayer } from './replay';
import { LiveScope } from './scope';
import { assertWsInternals } from './wsInternals';

export interface EnergyWs extends RunningService {
  /** The bound port (useful with `server.port: 0`). */
  port: number;
  /** `ws://host:port/ws/energy`, without a token. */
  url: string;
  groupId: string;
  metrics: Metrics;
  clientCount(): number;
  /** Open TCP sockets on the port, authenticated or not. */
  socketCount(): number;
}

/** How long shutdown waits for clients to complete the close handshake. */
const CLOSE_GRACE_MS = 2_000;

/** Starts the service from a validated config; `server.port: 0` picks a free port. */
export async function startEnergyWs(
  config: EnergyWsConfig,
  logger: Logger = createLogger('energy-ws'),
): Promise<EnergyWs> {
  // Before anything connects: the fan-out writes through ws's private socket.
  assertWsInternals();
  const metrics = createMetrics();
  const topics = streamTopics(config);
  const groupId = effectiveGroupId(config);
  const kafka = new Kafka(kafkaClientOptions(config.kafka, logger));
  const admin = kafka.admin();
  const existing = await connectKafkaAdmin(admin, config.kafka);
  try {
    // energy-ws never creates a topic: the bridge provisions them with their
    // retention (the contracts' README, "Who creates topics").
    requireTopics(
      existing,
      Object.values(topics),
      'kafka.topic / kafka.topics name them',
    );
  } catch (e) {
    await admin.disconnect();
    throw e;
  }
  const recent = new RecentRecords(config.server.resumeBufferRecords);
  const replayer = new KafkaReplayer(
    kafka,
    admin,
    groupId,
    config.server.maxConcurrentReplays,
  );
  const verifier = createLiveTokenVerifier(
    config.auth.jwtSecret,
    config.auth.maxTokenBytes,
    {
      requireStreamsClaim: config.auth.requireStreamsClaim,
      audience: config.auth.audience,
      issuer: config.auth.issuer,
    },
  );
  const allowedOrigins = new Set(config.server.allowedOrigins);

  const connections = new Set<Connection>();
  /** Slots taken by upgrades still being authenticated, so concurrent upgrades cannot overshoot the limit. */
  let reserved = 0;
  /** Open TCP sockets on the port; those not in `connections` are not (yet) authenticated clients. */
  let sockets = () => 0;
  let stopping = false;
  let live: Awaited<ReturnType<typeof startLiveConsumer>> | undefined;

  const publish = (record: StreamRecord) => {
    recent.append(record);
    let frame: Buffer | undefined;
    const encode = () =>
      (frame ??= wireTextFrame(Buffer.from(dataFrame(record))));
    let sent = 0;
    for (const connection of connections)
      if (connection.session.offerLive(record, encode)) sent++;
    if (sent > 0) metrics.broadcast.inc({ stream: record.stream }, sent);
    metrics.fanoutLatency.observe((Date.now() - record.producedAtMs) / 1000);
  };

  const ops = await startOpsServer({
    host: config.server.host,
    port: config.server.port,
    registry: metrics.registry,
    health: () => ({
      live: true,
      ready: !stopping && (live?.joined() ?? false),
      details: {
        clients: connections.size,
        unauthenticated: sockets() - connections.size,
        group: groupId,
        consumerJoined: live?.joined() ?? false,
      },
    }),
  });
  // Node's default header limit (16 KiB) stays: a token of auth.maxTokenBytes fits in it.
  sockets = capUnauthenticated(
    ops.server,
    config.server.maxUnauthenticatedConnections,
    () => connections.size,
    () => metrics.refused.inc({ reason: 'unauthenticated' }),
  );

  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    // Frames above maxFrameBytes get FRAME_TOO_LARGE and the connection
    // lives; only frames beyond this hard ceiling close it (1009).
    maxPayload: Math.max(config.server.maxFrameBytes * 16, 1024 * 1024),
    handleProtocols: selectSubprotocol,
    // Connection answers pings itself, within the rate limit and send bound.
    autoPong: false,
  });

  const refuse = (
    socket: WebSocket,
    code: 'UNAUTHORIZED' | 'MAX_CONNECTIONS' | 'SHUTTING_DOWN',
    message: string,
    closeCode: number,
  ) => {
    refuseWebSocket(socket, errorFrame(code, message), closeCode, code);
  };

  const admit = (socket: WebSocket, auth: LiveTokenResult) => {
    if (!auth.ok) {
      metrics.authFailures.inc({ reason: auth.reason });
      logger.info(
        { reason: auth.reason },
        `refused a connection: ${
          auth.reason === 'no_streams_claim'
            ? `the token has no "${LIVE_TOKEN_STREAMS_CLAIM}" claim (auth.requireStreamsClaim is on)`
            : 'invalid token'
        }`,
      );
      refuse(
        socket,
        'UNAUTHORIZED',
        INVALID_TOKEN_MESSAGE,
        WS_CLOSE.policyViolation,
      );
      return;
    }
    const connection = new Connection(
      socket,
      {
        limits: {
          maxSendQueueBytes: config.server.maxSendQueueBytes,
          maxFrameBytes: config.server.maxFrameBytes,
          rateLimit: config.server.rateLimit,
        },
        metrics,
        logger,
        recent,
        resumeDeps: { replayer, topics, metrics, logger },
        scope: new LiveScope(auth.scope),
        expiresAtMs: auth.expiresAtMs,
      },
      closed => {
        connections.delete(closed);
        metrics.clients.set(connections.size);
      },
    );
    connections.add(connection);
    metrics.clients.set(connections.size);
    logger.debug({ subject: auth.subject }, 'WebSocket client connected');
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Never log req.url: it may carry ?token=.
    const path = (req.url ?? '/').split('?')[0];
    if (path !== WS_PATH) {
      refuseUpgrade(socket, '404 Not Found');
      return;
    }
    const origin = req.headers.origin;
    if (allowedOrigins.size > 0 && origin && !allowedOrigins.has(origin)) {
      metrics.refused.inc({ reason: 'origin' });
      logger.info(
        { origin },
        'refused an upgrade: origin not in server.allowedOrigins',
      );
      refuseUpgrade(socket, '403 Forbidden');
      return;
    }
    const complete = (then: (ws: WebSocket) => void) =>
      wss.handleUpgrade(req, socket, head, then);
    if (stopping) {
      complete(ws =>
        refuse(
          ws,
          'SHUTTING_DOWN',
          'Server is shutting down; reconnect',
          WS_CLOSE.goingAway,
        ),
      );
      return;
    }
    if (connections.size + reserved >= config.server.maxConnections) {
      metrics.refused.inc({ reason: 'max_connections' });
      complete(ws =>
        refuse(
          ws,
          'MAX_CONNECTIONS',
          `Server is at its limit of ${config.server.maxConnections} connections; try again later`,
          WS_CLOSE.tryAgainLater,
        ),
      );
      return;
    }
    reserved++;
    verifier
      .verify(tokenFromRequest(req))
      .then(auth => {
        reserved--;
        if (!socket.destroyed) complete(ws => admit(ws, auth));
      })
      .catch(err => {
        logger.warn({ err: (err as Error).message }, 'upgrade failed');
        socket.destroy();
      });
  };
  ops.server.on('upgrade', onUpgrade);

  const keepalive = setInterval(() => {
    for (const connection of connections) connection.keepalive();
  }, config.server.pingIntervalMs);
  keepalive.unref();

  try {
    live = await startLiveConsumer({
      kafka,
      groupId,
      topics,
      fromBeginning: config.kafka.autoOffsetReset === 'earliest',
      metrics,
      logger,
      onRecord: publish,
    });
  } catch (e) {
    clearInterval(keepalive);
    await ops.close();
    await admin.disconnect();
    throw e;
  }
  const host =
    config.server.host === '0.0.0.0' || config.server.host === '::'
      ? '127.0.0.1'
      : config.server.host;
  logger.info(
    { port: ops.port, group: groupId, topics },
    'energy-ws listening',
  );

  return {
    port: ops.port,
    url: `ws://${host}:${ops.port}${WS_PATH}`,
    groupId,
    metrics,
    clientCount: () => connections.size,
    socketCount: () => sockets(),
    async stop(reason: string) {
      if (stopping) return;
      stopping = true;
      logger.info(
        { reason, clients: connections.size },
        'shutting down; telling clients to reconnect',
      );
      clearInterval(keepalive);
      const all = [...connections];
      const closed = all.map(
        c =>
          new Promise<void>(resolve => {
            c.cutOff(
              'SHUTTING_DOWN',
              'Server is shutting down; reconnect (another replica will serve you) and resume from your last position',
              WS_CLOSE.goingAway,
            );
            c.onceClosed(resolve);
          }),
      );
      await Promise.race([
        Promise.all(closed),
        new Promise(r => setTimeout(r, CLOSE_GRACE_MS).unref()),
      ]);
      for (const c of all) c.terminate();
      await live
        ?.stop()
        .catch(err => logger.warn({ err }, 'error stopping the live consumer'));
      await admin.disconnect().catch(() => undefined);
      ops.server.off('upgrade', onUpgrade);
      await ops.close();
    },
  };
}
