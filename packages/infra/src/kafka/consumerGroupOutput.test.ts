import { parseConsumerGroupDescribe } from './consumerGroupOutput';

describe('parseConsumerGroupDescribe', () => {
  it('reads offsets and lag by column name, with "-" as null', () => {
    const output = `
Consumer group 'g1' has no active members.

GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID
g1              t1              0          5               7               2               -               -               -
g1              t1              1          -               3               -               -               -               -
`;
    expect(parseConsumerGroupDescribe(output)).toEqual([
      {
        group: 'g1',
        topic: 't1',
        partition: 0,
        currentOffset: 5,
        logEndOffset: 7,
        lag: 2,
        consumerId: null,
      },
      {
        group: 'g1',
        topic: 't1',
        partition: 1,
        currentOffset: null,
        logEndOffset: 3,
        lag: null,
        consumerId: null,
      },
    ]);
  });

  it('returns no rows for output without a table', () => {
    expect(
      parseConsumerGroupDescribe("Consumer group 'x' does not exist."),
    ).toEqual([]);
  });
});
