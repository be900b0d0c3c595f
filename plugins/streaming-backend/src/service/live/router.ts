import express from 'express';
import Router from 'express-promise-router';
import type {
  BackstageCredentials,
  BackstageUserPrincipal,
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  ANNOTATION_LIVE_STREAMS,
  DEFAULT_HYPERTABLES,
  LiveHistoryResponse,
  LiveStreamRef,
  LiveTokenResponse,
  mintLiveToken,
  parseHypertables,
  parseLiveStreams,
  streamingLiveReadPermission,
} from '@homelab/plugin-streaming-common';
import { parseAnnotation } from '../parseAnnotation';
import type { TimescaleDatabases } from '../timescale/databases';
import { resolveTable } from '../timescale/catalog';
import { LiveSettings } from './settings';
import { recentReadings } from './history';
import { publicErrorHandler } from '../errors';
import { authorizeEntity } from '../authorizeEntity';

export interface LiveRouterOptions {
  settings: LiveSettings;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  /** Absent when no TimescaleDB is configured: the chart then starts empty. */
  databases?: TimescaleDatabases;
  logger: LoggerService;
}

const MAX_MINUTES = 60;

/**
 * The Live tab's routes: an energy-ws token for the signed-in user, and the
 * recent readings that backfill the chart. Both need `streaming.live.read`
 * on the entity. Tokens go only to users, so energy-ws always learns who
 * is watching (`sub`), and the shared secret never leaves the backend.
 */
export function createLiveRouter(options: LiveRouterOptions): express.Router {
  const { settings, httpAuth, permissions, catalog, databases } = options;
  const router = Router();

  async function liveEntity(
    req: express.Request,
    credentials: BackstageCredentials,
  ) {
    const entity = await authorizeEntity(
      { permissions, catalog },
      req,
      credentials,
      streamingLiveReadPermission,
    );
    const entityRef = stringifyEntityRef(entity);
    const streams = parseAnnotation(() =>
      parseLiveStreams(entity.metadata.annotations),
    );
    if (!streams.length)
      throw new InputError(
        `entity ${entityRef} has no ${ANNOTATION_LIVE_STREAMS} annotation`,
      );
    return { entity, streams };
  }

  router.get(
    '/entities/:kind/:namespace/:name/live/token',
    async (req, res) => {
      const credentials = await httpAuth.credentials(req, { allow: ['user'] });
      const { streams } = await liveEntity(req, credentials);
      if (!settings.jwtSecret || !settings.websocketUrl) {
        throw new ServiceUnavailableError(
          'live streaming is not configured: set streaming.live.jwtSecret (the energy-ws auth.jwt_secret) and streaming.live.websocketUrl in app-config',
        );
      }
      const minted = await mintLiveToken({
        secret: settings.jwtSecret,
        subject: (credentials.principal as BackstageUserPrincipal)
          .userEntityRef,
        ttlSeconds: settings.tokenTtlSeconds,
        streams,
        audience: settings.audience,
        issuer: settings.issuer,
      });
      const body: LiveTokenResponse = {
        token: minted.token,
        expiresAt: minted.expiresAt.toISOString(),
        expiresInSeconds: settings.tokenTtlSeconds,
        websocketUrl: settings.websocketUrl,
        streams,
      };
      res.set('Cache-Control', 'no-store');
      res.json(body);
    },
  );

  router.get(
    '/entities/:kind/:namespace/:name/live/history',
    async (req, res) => {
      const credentials = await httpAuth.credentials(req, {
        allow: ['user', 'service'],
      });
      const { entity, streams } = await liveEntity(req, credentials);
      const stream = req.query.stream;
      const refs = streams.filter(s => s.stream === stream);
      if (!refs.length) {
        throw new InputError(
          `query parameter "stream" must be one of the entity's live streams: ${[
            ...new Set(streams.map(s => s.stream)),
          ].join(', ')}`,
        );
      }
      const minutes = Number(req.query.minutes ?? 15);
      if (
        !(Number.isInteger(minutes) && minutes >= 1 && minutes <= MAX_MINUTES)
      ) {
        throw new InputError(
          `query parameter "minutes" must be a whole number between 1 and ${MAX_MINUTES}`,
        );
      }
      const { database, table } = historyTable(entity, refs[0]);
      if (!databases)
        throw new ServiceUnavailableError(
          'no streaming.timescale.databases configured: the live chart has no history',
        );
      const pool = databases.pool(database);
      const resolved = await resolveTable(pool, table);
      if (!resolved)
        throw new NotFoundError(
          `table ${table} does not exist in database "${database}"`,
        );
      const devices = refs.some(r => !r.device)
        ? undefined
        : refs.map(r => r.device!);
      const { points, truncated } = await recentReadings(
        pool,
        resolved,
        minutes,
        devices,
      );
      const body: LiveHistoryResponse = {
        stream: refs[0].stream,
        minutes,
        source: `${database}/${table}`,
        points,
        truncated,
      };
      res.json(body);
    },
  );

  /**
   * The stream's table: the entity's hypertables annotation when it names the
   * stream's table, else the configured history database (or the only one).
   */
  function historyTable(
    entity: Entity,
    ref: LiveStreamRef,
  ): { database: string; table: string } {
    const table = DEFAULT_HYPERTABLES[ref.stream];
    const annotated = parseAnnotation(() =>
      parseHypertables(entity.metadata.annotations),
    ).find(t => t.name === table || t.name.endsWith(`.${table}`));
    if (annotated)
      return { database: annotated.cluster, table: annotated.name };
    const names = databases?.names() ?? [];
    const database =
      settings.historyDatabase ?? (names.length === 1 ? names[0] : undefined);
    if (!database) {
      throw new InputError(
        `cannot tell which database holds ${table}: annotate the entity with streaming.homelab.dev/hypertables or set streaming.live.historyDatabase`,
      );
    }
    return { database, table };
  }

  // Last: a database error leaves as a short reason, never with its address.
  router.use(publicErrorHandler(options.logger));
  return router;
}
