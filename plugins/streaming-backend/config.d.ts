export interface Config {
  /**
   * Kafka clusters, in the shape of `@backstage-community/plugin-kafka-backend`'s
   * `kafka:` block so one block serves both plugins.
   */
  kafka?: {
    /** Client id the backend uses towards the brokers. Defaults to "backstage". */
    clientId?: string;
    clusters: Array<{
      /** The name entity annotations use, e.g. `local` in `local/<group>`. */
      name: string;
      /** Bootstrap brokers, host:port. */
      brokers: string[];
      /** TLS: `true`, or options passed to Node's tls.connect. */
      ssl?:
        | boolean
        | {
            ca?: string[];
            /** @visibility secret */
            key?: string;
            cert?: string;
            rejectUnauthorized?: boolean;
          };
      sasl?: {
        mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
        username: string;
        /** @visibility secret */
        password: string;
      };
      /**
       * Link to a dashboard (Redpanda Console, AKHQ, …) shown next to the cluster.
       * @visibility frontend
       */
      dashboardUrl?: string;
    }>;
  };

  streaming?: {
    kafka?: {
      /** Seconds an answer from the brokers is reused. Default 5. */
      cacheTtlSeconds?: number;
      lagSampling?: {
        /** Seconds between two samples of every group's offsets. Default 30. */
        frequencySeconds?: number;
        /** Hours of samples kept; older ones are deleted. Default 24. */
        retentionHours?: number;
        /**
         * Groups sampled even if no catalog entity names them, as `<cluster>/<group>`.
         * Groups named by `kafka.apache.org/consumer-groups` on catalog entities are always sampled.
         */
        groups?: string[];
      };
    };
    timescale?: {
      /** Seconds an answer from a database is reused. Default 5. */
      cacheTtlSeconds?: number;
      databases?: Array<{
        /** The name entity annotations use, e.g. `timescale` in `timescale/energy_readings`. */
        name: string;
        /**
         * A connection string, or pg connection options.
         * @visibility secret
         */
        connection:
          | string
          | {
              host?: string;
              port?: number;
              user?: string;
              /** @visibility secret */
              password?: string;
              database?: string;
              ssl?: boolean;
            };
        /** Pool size. Default 4. */
        maxConnections?: number;
        /**
         * TLS as libpq's sslmode: disable, require (encrypted, unverified),
         * verify-ca or verify-full (verified against sslrootcert or ca).
         */
        sslmode?: 'disable' | 'require' | 'verify-ca' | 'verify-full';
        /** Path of the CA certificate file that signed the server's certificate. */
        sslrootcert?: string;
        /** The CA certificate as PEM, instead of sslrootcert. */
        ca?: string;
      }>;
    };
    /**
     * Who may read an entity's streaming data (`streaming.kafka.read`,
     * `streaming.timescale.read`, `streaming.live.read`, `streaming.dlq.read`,
     * `streaming.pipeline.read`), read by the portal's permission policy
     * (packages/backend/src/modules/permissionPolicy). Members of the
     * entity's owner (`spec.owner`) always may; everyone else gets 403.
     */
    permissions?: {
      /**
       * Groups whose members may read every entity's streaming data, as
       * `group:<namespace>/<name>` or a bare name in the default namespace.
       * Membership is what the sign-in resolver puts in the user's
       * ownership refs (the catalog User's direct `memberOf`).
       */
      adminGroups?: string[];
    };
    /**
     * The pipeline view: a System (and its services) annotated
     * `streaming.homelab.dev/pipeline: <name>` shows each stage of
     * `pipelines.<name>` with its rates, lag, freshness, dead letters and
     * latency, read from the services below. Addresses come only from here.
     */
    pipeline?: {
      /** Seconds between two scrapes of every service (1–300). Default 5. */
      scrapeIntervalSeconds?: number;
      /** Seconds one scrape of `/metrics` or `/health` may take (1–30). Default 3. */
      timeoutSeconds?: number;
      /** Each service's ops endpoints, by a name the pipelines use (e.g. `mqtt-kafka-bridge`). */
      services?: {
        [name: string]: {
          /** Prometheus text, e.g. `http://bridge:9101/metrics`. */
          metricsUrl?: string;
          /** The service's `/health` JSON (`live`, `ready`, `details`). */
          healthUrl?: string;
        };
      };
      pipelines?: {
        [name: string]: {
          /** A `kafka.clusters` name. */
          kafkaCluster: string;
          /** The stream topics, whose high watermarks give Kafka's rate in. */
          topics?: string[];
          /** The dead-letter topic, counted over the last hour. */
          dlqTopic?: string;
          /** A `streaming.timescale.databases` name, for the hypertables' freshness. */
          database?: string;
          hypertables?: string[];
          /** Service names under `services`, one per stage. */
          devices?: string;
          bridge?: string;
          sink?: { service: string; consumerGroup: string };
          live?: { service: string; consumerGroup: string };
        };
      };
    };
    /** The Live tab: tokens for energy-ws and the chart's backfill. */
    live?: {
      /**
       * energy-ws's `auth.jwt_secret`, at least 32 bytes; the backend signs short-lived HS256
       * tokens with it. Without it the token route answers 503.
       * @visibility secret
       */
      jwtSecret?: string;
      /** energy-ws endpoint given to the browser with each token, e.g. `wss://energy.example/ws/energy`. */
      websocketUrl?: string;
      /** Token lifetime in seconds (30–3600). Default 300; the browser refreshes before expiry. */
      tokenTtlSeconds?: number;
      /** `aud` put in every token; set energy-ws's `auth.audience` to the same value to have it checked. */
      audience?: string;
      /** `iss` put in every token; set energy-ws's `auth.issuer` to the same value to have it checked. */
      issuer?: string;
      /**
       * A `streaming.timescale.databases` name to read the chart's backfill from when the
       * entity's hypertables annotation names none. Default: the only configured database.
       */
      historyDatabase?: string;
    };
  };
}
