/**
 * A name no other test, nor an earlier run against the same servers, has
 * used: tests share one Kafka and one database, so topics, groups, schemas
 * and MQTT prefixes carry one. Letters, digits and `-` only, which every
 * topic, group and MQTT level accepts; replace the `-` for SQL identifiers.
 */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random()
    .toString(36)
    .slice(2, 8)}`;
}

/**
 * Eight random hex digits: a test's id where a prefix is not wanted, and safe
 * unquoted in topic, group, MQTT and SQL names.
 */
export function uid(): string {
  return Math.floor(Math.random() * 0x100000000)
    .toString(16)
    .padStart(8, '0');
}
