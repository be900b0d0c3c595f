import { StreamName } from '@homelab/pipeline-contracts';

/**
 * A mapping rule, e.g. `homelab/energy/#` → `homelab.energy`: MQTT topic filter → stream (and so Kafka topic),
 * with the device id read from one topic level.
 */
export interface Route {
  filter: string;
  stream: StreamName;
  /** Kafka topic the stream's records go to. */
  topic: string;
  /** Zero-based topic level holding the device id: `homelab/energy/<2>`. */
  deviceIdSegment: number;
}

/** MQTT filter matching, with `+` and `#` as in MQTT 3.1.1 §4.7. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  // `$SYS/…` must not match filters starting with a wildcard (§4.7.2).
  if (topic.startsWith('$') && (f[0] === '#' || f[0] === '+')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** Strips `$share/<group>/` so a shared filter can be compared with topics. */
export function unshare(filter: string): string {
  const m = /^\$share\/[^/]+\/(.*)$/.exec(filter);
  return m ? m[1] : filter;
}

export function shareFilter(filter: string, group: string | undefined): string {
  return group ? `$share/${group}/${unshare(filter)}` : filter;
}

export function findRoute(
  routes: readonly Route[],
  topic: string,
): Route | undefined {
  return routes.find(r => topicMatches(unshare(r.filter), topic));
}

/** findRoute memoised per topic; a homelab has one topic per device, so the map stays small (and is capped). */
export function routeFinder(
  routes: readonly Route[],
  maxCached = 100_000,
): (topic: string) => Route | undefined {
  const cache = new Map<string, Route | undefined>();
  return topic => {
    if (cache.has(topic)) return cache.get(topic);
    if (cache.size >= maxCached) cache.clear();
    const route = findRoute(routes, topic);
    cache.set(topic, route);
    return route;
  };
}

/** The device id from the topic level of the route, if that level exists. */
export function deviceIdFromTopic(
  route: Route,
  topic: string,
): string | undefined {
  const level = topic.split('/')[route.deviceIdSegment];
  return level ? level : undefined;
}
