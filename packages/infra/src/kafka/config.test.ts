import { serverProperties } from './config';

const parse = (text: string) =>
  Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map(line => line.split(/=(.*)/s).slice(0, 2)),
  );

describe('serverProperties', () => {
  const cluster = [
    { index: 0, port: 9092, controllerPort: 9093 },
    { index: 1, port: 9192, controllerPort: 9193 },
    { index: 2, port: 9292, controllerPort: 9293 },
  ];

  it('makes combined KRaft nodes on loopback that know every voter', () => {
    const props = parse(serverProperties(cluster[1], cluster, '/data/b1'));
    expect(props).toMatchObject({
      'process.roles': 'broker,controller',
      'node.id': '2',
      'controller.quorum.voters':
        '1@127.0.0.1:9093,2@127.0.0.1:9193,3@127.0.0.1:9293',
      listeners: 'PLAINTEXT://127.0.0.1:9192,CONTROLLER://127.0.0.1:9193',
      'advertised.listeners': 'PLAINTEXT://127.0.0.1:9192',
      'log.dirs': '/data/b1',
      'auto.create.topics.enable': 'false',
      'group.initial.rebalance.delay.ms': '0',
    });
  });

  it('replicates internal topics to every node', () => {
    expect(
      parse(serverProperties(cluster[0], cluster, '/d'))[
        'offsets.topic.replication.factor'
      ],
    ).toBe('3');
    expect(
      parse(serverProperties(cluster[0], cluster.slice(0, 1), '/d'))[
        'offsets.topic.replication.factor'
      ],
    ).toBe('1');
  });
});
