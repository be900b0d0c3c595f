import { partitionLag, stateCounts, topicTotal, worstPartition } from './lag';

describe('partitionLag', () => {
  it('measures lag from the committed offset like Kafka does', () => {
    expect(partitionLag(0, 40, 0, 100)).toEqual({
      partition: 0,
      committedOffset: 40,
      logStartOffset: 0,
      highWatermark: 100,
      lag: 60,
      state: 'ok',
    });
  });

  it('flags a partition without a committed offset instead of inventing a lag', () => {
    for (const committed of [null, -1]) {
      const p = partitionLag(2, committed, 5, 100);
      expect(p.state).toBe('no-committed-offset');
      expect(p.lag).toBeNull();
      expect(p.committedOffset).toBeNull();
    }
  });

  it('flags records lost to retention when the commit is below the log start', () => {
    const p = partitionLag(1, 10, 30, 100);
    expect(p.state).toBe('below-log-start');
    expect(p.lag).toBe(90);
    expect(p.lostRecords).toBe(20);
  });

  it('flags a commit past the high watermark as negative lag', () => {
    const p = partitionLag(0, 120, 0, 100);
    expect(p.state).toBe('negative');
    expect(p.lag).toBe(-20);
  });
});

describe('group summaries', () => {
  const topics = [
    {
      topic: 'a',
      totalLag: 0,
      partitions: [partitionLag(0, 5, 0, 50), partitionLag(1, null, 0, 80)],
    },
    {
      topic: 'b',
      totalLag: 0,
      partitions: [partitionLag(0, 2, 10, 12), partitionLag(1, 20, 0, 10)],
    },
  ];

  it('totals only real, positive lag', () => {
    expect(topicTotal(topics[0].partitions)).toBe(45);
    expect(topicTotal(topics[1].partitions)).toBe(10);
  });

  it('puts data loss first, then the largest lag', () => {
    expect(worstPartition(topics)).toEqual({
      topic: 'b',
      partition: 0,
      lag: 10,
      state: 'below-log-start',
    });
    expect(worstPartition([topics[0]])).toEqual({
      topic: 'a',
      partition: 0,
      lag: 45,
      state: 'ok',
    });
  });

  it('counts partitions per state', () => {
    expect(stateCounts(topics)).toEqual({
      ok: 1,
      'no-committed-offset': 1,
      'below-log-start': 1,
      negative: 1,
    });
  });
});
