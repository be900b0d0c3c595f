/*
 * Topic provisioning is the contracts' one step (packages/pipeline-contracts,
 * "Who creates topics": the bridge creates the pipeline's topics, nobody
 * else does). Re-exported so the bridge's modules keep one local name.
 */
export {
  provisionTopics,
  type ProvisionResult,
  type TopicMismatch,
  type TopicPlan,
} from '@homelab/pipeline-contracts';
