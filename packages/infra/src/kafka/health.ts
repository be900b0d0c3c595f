import { Kafka, logLevel } from 'kafkajs';

/**
 * True when the cluster answers metadata requests listing every expected
 * node id, i.e. each broker has registered with the controller quorum.
 */
export async function clusterHasBrokers(
  bootstrap: string[],
  nodeIds: number[],
): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'homelab-infra-health',
    brokers: bootstrap,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const { brokers } = await admin.describeCluster();
    const seen = new Set(brokers.map(b => b.nodeId));
    return nodeIds.every(id => seen.has(id));
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
