import {
  deviceIdFromTopic,
  findRoute,
  Route,
  shareFilter,
  topicMatches,
  unshare,
} from './route';

const routes: Route[] = [
  {
    filter: 'homelab/energy/#',
    stream: 'energy',
    topic: 'homelab.energy',
    deviceIdSegment: 2,
  },
  {
    filter: '$share/g/homelab/+/heat',
    stream: 'heatpump',
    topic: 'homelab.heatpump',
    deviceIdSegment: 1,
  },
];

describe('topic filters', () => {
  it.each([
    ['homelab/energy/#', 'homelab/energy/meter1', true],
    ['homelab/energy/#', 'homelab/energy', true],
    ['homelab/energy/#', 'homelab/energyx/meter1', false],
    ['homelab/+/meter1', 'homelab/energy/meter1', true],
    ['homelab/+', 'homelab/energy/meter1', false],
    ['#', '$SYS/broker/uptime', false],
    ['homelab/energy/meter1', 'homelab/energy/meter1', true],
  ])('%s matches %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  it('routes by the first matching rule, ignoring $share prefixes', () => {
    expect(findRoute(routes, 'homelab/energy/meter1')?.stream).toBe('energy');
    expect(findRoute(routes, 'homelab/dev7/heat')?.stream).toBe('heatpump');
    expect(findRoute(routes, 'garage/door')).toBeUndefined();
  });

  it('reads the device id from the configured level', () => {
    expect(deviceIdFromTopic(routes[0], 'homelab/energy/meter1')).toBe(
      'meter1',
    );
    expect(deviceIdFromTopic(routes[0], 'homelab/energy')).toBeUndefined();
    expect(deviceIdFromTopic(routes[1], 'homelab/dev7/heat')).toBe('dev7');
  });

  it('builds and strips shared subscriptions', () => {
    expect(shareFilter('homelab/energy/#', 'bridges')).toBe(
      '$share/bridges/homelab/energy/#',
    );
    expect(shareFilter('homelab/energy/#', undefined)).toBe('homelab/energy/#');
    expect(unshare('$share/bridges/homelab/energy/#')).toBe('homelab/energy/#');
  });
});
