export interface ConsumerGroupRow {
  group: string;
  topic: string;
  partition: number;
  /** null when the group has not committed an offset for the partition ("-"). */
  currentOffset: number | null;
  logEndOffset: number | null;
  lag: number | null;
  consumerId: string | null;
}

const toNumber = (value: string | undefined) =>
  value === undefined || value === '-' ? null : Number(value);

/**
 * Parses `ConsumerGroupCommand --describe --group <g>` output: a header row
 * (GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ...) and one
 * whitespace-separated row per partition. Columns are found by header name,
 * so a column added by a newer Kafka does not shift the others.
 */
export function parseConsumerGroupDescribe(output: string): ConsumerGroupRow[] {
  const lines = output.split('\n').map(l => l.trim());
  const rows: ConsumerGroupRow[] = [];
  let header: string[] | undefined;
  for (const line of lines) {
    if (!line) continue;
    const cells = line.split(/\s+/);
    if (cells[0] === 'GROUP' && cells.includes('CURRENT-OFFSET')) {
      header = cells;
      continue;
    }
    if (!header || cells.length < header.length - 3) continue;
    const columns = header;
    const cell = (name: string) => cells[columns.indexOf(name)];
    const partition = Number(cell('PARTITION'));
    if (!Number.isInteger(partition)) continue;
    rows.push({
      group: cell('GROUP'),
      topic: cell('TOPIC'),
      partition,
      currentOffset: toNumber(cell('CURRENT-OFFSET')),
      logEndOffset: toNumber(cell('LOG-END-OFFSET')),
      lag: toNumber(cell('LAG')),
      consumerId:
        cell('CONSUMER-ID') && cell('CONSUMER-ID') !== '-'
          ? cell('CONSUMER-ID')
          : null,
    });
  }
  return rows;
}
