import { testInfra } from '@homelab/infra';

/** The shared Kafka and Mosquitto that `homelab-infra exec` started for this test run. */
export function testEnvironment(): { kafkaBrokers: string[]; mqttUrl: string } {
  const { kafkaBrokers, mqttUrl } = testInfra();
  return { kafkaBrokers, mqttUrl };
}
