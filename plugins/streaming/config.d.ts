export interface Config {
  kafka?: {
    clusters?: Array<{
      /**
       * Link to a dashboard for the cluster (Redpanda Console, AKHQ, …),
       * the same key the community Kafka plugin's frontend reads.
       * @visibility frontend
       */
      dashboardUrl?: string;
    }>;
  };
}
