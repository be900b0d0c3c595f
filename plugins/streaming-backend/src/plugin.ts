import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { streamingPermissions } from '@homelab/plugin-streaming-common';
import { createRouter } from './service/router';
import { KafkaClusters, readKafkaSettings } from './service/kafka/clusters';
import { KafkaService } from './service/kafka/KafkaService';
import { LagStore } from './service/kafka/LagStore';
import { LagSampler } from './service/kafka/LagSampler';
import {
  readDatabaseSettings,
  TimescaleDatabases,
} from './service/timescale/databases';
import { TimescaleService } from './service/timescale/TimescaleService';
import { DlqReader } from './service/dlq/DlqReader';
import { DlqService } from './service/dlq/DlqService';
import { createLiveRouter, readLiveSettings } from './service/live';
import {
  checkPipelineTargets,
  createPipelineRouter,
  PipelineService,
  readPipelineSettings,
} from './service/pipeline';

/**
 * The streaming backend plugin: Kafka lag (with sampled history) and topic
 * details, and TimescaleDB table stats, for catalog entities.
 *
 * @public
 */
export const streamingPlugin = createBackendPlugin({
  pluginId: 'streaming',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        scheduler: coreServices.scheduler,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        lifecycle: coreServices.lifecycle,
        catalog: catalogServiceRef,
      },
      async init({
        config,
        logger,
        database,
        scheduler,
        httpRouter,
        httpAuth,
        auth,
        permissions,
        permissionsRegistry,
        lifecycle,
        catalog,
      }) {
        permissionsRegistry.addPermissions(streamingPermissions);

        const clusters = new KafkaClusters(readKafkaSettings(config), logger);
        const databases = new TimescaleDatabases(
          readDatabaseSettings(config),
          logger,
        );
        const store = await LagStore.create(await database.getClient(), {
          skipMigrations: database.migrations?.skip,
        });
        const kafka = new KafkaService(
          clusters,
          store,
          logger,
          (config.getOptionalNumber('streaming.kafka.cacheTtlSeconds') ?? 5) *
            1000,
        );
        const timescale = new TimescaleService(
          databases,
          (config.getOptionalNumber('streaming.timescale.cacheTtlSeconds') ??
            5) * 1000,
        );

        const sampling = config.getOptionalConfig(
          'streaming.kafka.lagSampling',
        );
        const sampler = new LagSampler({
          clusters,
          store,
          catalog,
          auth,
          configuredGroups: sampling?.getOptionalStringArray('groups') ?? [],
          retentionMs:
            (sampling?.getOptionalNumber('retentionHours') ?? 24) * 3_600_000,
          logger,
        });
        if (clusters.names().length) {
          await scheduler.scheduleTask({
            id: 'streaming-lag-sampler',
            frequency: {
              seconds: sampling?.getOptionalNumber('frequencySeconds') ?? 30,
            },
            timeout: { seconds: 60 },
            initialDelay: { seconds: 10 },
            // One replica samples for all: the samples live in the shared database.
            scope: 'global',
            fn: async () => {
              const r = await sampler.run();
              logger.debug(
                `lag sampling: ${r.groups} groups, ${r.rows} rows, ${r.pruned} pruned, ${r.failed} failed`,
              );
            },
          });
        } else {
          logger.info('no kafka.clusters configured: lag sampling is off');
        }

        const dlq = new DlqService(clusters, new DlqReader(clusters, logger));
        httpRouter.use(
          await createRouter({
            httpAuth,
            permissions,
            catalog,
            kafka,
            timescale,
            dlq,
            logger,
          }),
        );
        // The Live tab: energy-ws tokens and the chart's backfill.
        httpRouter.use(
          createLiveRouter({
            settings: readLiveSettings(config),
            httpAuth,
            permissions,
            catalog,
            databases,
            logger,
          }),
        );
        // The pipeline view: each stage's rate, lag, freshness, DLQ count and latency.
        const pipelineSettings = readPipelineSettings(config);
        checkPipelineTargets(
          pipelineSettings,
          clusters.names(),
          databases.names(),
        );
        const pipelines = new PipelineService(
          pipelineSettings,
          kafka,
          databases,
          logger,
        );
        pipelines.start();
        lifecycle.addShutdownHook(() => pipelines.stop());
        httpRouter.use(
          createPipelineRouter({
            httpAuth,
            permissions,
            catalog,
            pipelines,
            logger,
          }),
        );
        lifecycle.addShutdownHook(async () => {
          await Promise.all([clusters.close(), databases.close()]);
        });
      },
    });
  },
});
