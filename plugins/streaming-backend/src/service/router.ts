import express from 'express';
import Router from 'express-promise-router';
import type {
  HttpAuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import { ResourcePermission } from '@backstage/plugin-permission-common';
import {
  HistoryBucket,
  streamingDlqReadPermission,
  streamingKafkaReadPermission,
  streamingTimescaleReadPermission,
} from '@homelab/plugin-streaming-common';
import type { KafkaService } from './kafka/KafkaService';
import type { TimescaleService } from './timescale/TimescaleService';
import type { DlqService } from './dlq/DlqService';
import { publicErrorHandler, withPublicErrors } from './errors';
import { authorizeEntity } from './authorizeEntity';

export interface RouterOptions {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  kafka: KafkaService;
  timescale: TimescaleService;
  /** The Dead letters tab; without it the route answers 404. */
  dlq?: DlqService;
  logger: LoggerService;
}

const BUCKETS: HistoryBucket[] = ['hour', 'day'];

/**
 * Routes are keyed by entity ref; the entity's annotations are read here on
 * the server, so a request can only name an entity, never a broker, a
 * database or a table that the entity does not declare.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { httpAuth, permissions, catalog, kafka, timescale, dlq, logger } =
    options;
  const router = Router();
  router.use(express.json());

  async function authorizedEntity(
    req: express.Request,
    permission: ResourcePermission<'catalog-entity'>,
  ) {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    return authorizeEntity(
      { permissions, catalog },
      req,
      credentials,
      permission,
    );
  }

  router.get('/entities/:kind/:namespace/:name/kafka', async (req, res) => {
    const entity = await authorizedEntity(req, streamingKafkaReadPermission);
    res.json(
      withPublicErrors(
        await kafka.forEntity(entity),
        logger,
        `kafka for ${stringifyEntityRef(entity)}`,
      ),
    );
  });

  router.get('/entities/:kind/:namespace/:name/timescale', async (req, res) => {
    const entity = await authorizedEntity(
      req,
      streamingTimescaleReadPermission,
    );
    res.json(
      withPublicErrors(
        await timescale.forEntity(entity),
        logger,
        `timescale for ${stringifyEntityRef(entity)}`,
      ),
    );
  });

  router.get(
    '/entities/:kind/:namespace/:name/timescale/history',
    async (req, res) => {
      const entity = await authorizedEntity(
        req,
        streamingTimescaleReadPermission,
      );
      const table = req.query.table;
      const bucket = (req.query.bucket ?? 'hour') as HistoryBucket;
      if (typeof table !== 'string' || !table) {
        throw new InputError(
          'query parameter "table" is required, as <database>/<table> from the entity\'s annotation',
        );
      }
      if (!BUCKETS.includes(bucket)) {
        throw new InputError(
          `query parameter "bucket" must be one of ${BUCKETS.join(', ')}`,
        );
      }
      const hours =
        req.query.hours === undefined ? undefined : Number(req.query.hours);
      if (
        hours !== undefined &&
        !(Number.isInteger(hours) && hours > 0 && hours <= 24 * 800)
      ) {
        throw new InputError(
          'query parameter "hours" must be a whole number of hours between 1 and 19200',
        );
      }
      res.json(
        withPublicErrors(
          await timescale.history(entity, table, bucket, hours),
          logger,
          `history of ${table}`,
        ),
      );
    },
  );

  // Read-only: letters are fetched by a throwaway group that never commits (dlq/DlqReader.ts).
  router.get('/entities/:kind/:namespace/:name/dlq', async (req, res) => {
    const entity = await authorizedEntity(req, streamingDlqReadPermission);
    if (!dlq) throw new NotFoundError('dead letters are not enabled');
    const { topic, before, limit } = req.query;
    for (const [name, value] of Object.entries({ topic, before, limit })) {
      if (value !== undefined && typeof value !== 'string') {
        throw new InputError(`query parameter "${name}" must be given once`);
      }
    }
    res.json(
      await dlq.forEntity(entity, {
        topic: topic as string | undefined,
        before: before as string | undefined,
        limit: limit === undefined ? undefined : Number(limit),
      }),
    );
  });

  // Last: a broker or database error leaves as a short reason, never with its address.
  router.use(publicErrorHandler(logger));
  return router;
}
