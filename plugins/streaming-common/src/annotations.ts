import {
  LiveStreamRef,
  STREAMS,
  StreamName,
} from '@homelab/pipeline-contracts';

/**
 * The community Kafka plugin's annotation, read unchanged so an entity set up
 * for `@backstage-community/plugin-kafka` works with ours: `<cluster>/<group>[,…]`.
 */
export const ANNOTATION_KAFKA_CONSUMER_GROUPS =
  'kafka.apache.org/consumer-groups';
/** Topics the component writes: `<cluster>/<topic>[,…]`. */
export const ANNOTATION_PRODUCES_TOPICS =
  'streaming.homelab.dev/produces-topics';
/** Topics the component reads: `<cluster>/<topic>[,…]`. */
export const ANNOTATION_CONSUMES_TOPICS =
  'streaming.homelab.dev/consumes-topics';
/** Hypertables: `<database>/<table>[,…]`; the table may be schema-qualified. */
export const ANNOTATION_HYPERTABLES = 'streaming.homelab.dev/hypertables';
/** Live streams through energy-ws: `<stream>[:<device>][,…]`. */
export const ANNOTATION_LIVE_STREAMS = 'streaming.homelab.dev/live-streams';
/** Dead-letter topics whose letters the entity's Dead letters tab shows: `<cluster>/<topic>[,…]`. */
export const ANNOTATION_DLQ_TOPICS = 'streaming.homelab.dev/dlq-topic';
/**
 * The community Kafka plugin's dashboard links, read unchanged:
 * `<cluster>/[<group>/]<url>[,…]`, e.g. `local/http://grafana/d/kafka` or
 * `local/timescaledb-energy/http://grafana/d/lag`.
 */
export const ANNOTATION_KAFKA_DASHBOARD_URLS =
  'kafka.apache.org/dashboard-urls';

export class AnnotationError extends Error {
  constructor(readonly annotation: string, message: string) {
    super(`annotation ${annotation}: ${message}`);
    this.name = 'AnnotationError';
  }
}

export interface ClusterRef {
  cluster: string;
  name: string;
}

const NAME = /^[A-Za-z0-9._-]+$/;
const TABLE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

function items(annotation: string, value: string | undefined): string[] {
  if (value === undefined) return [];
  const parts = value.split(',').map(s => s.trim());
  if (parts.some(p => p === '')) {
    throw new AnnotationError(annotation, `empty item in "${value}"`);
  }
  return parts;
}

function parseRefs(
  annotation: string,
  value: string | undefined,
  what: string,
  namePattern: RegExp,
): ClusterRef[] {
  return items(annotation, value).map(item => {
    const slash = item.indexOf('/');
    const cluster = item.slice(0, slash);
    const name = item.slice(slash + 1);
    if (slash <= 0 || !NAME.test(cluster) || !namePattern.test(name)) {
      throw new AnnotationError(
        annotation,
        `"${item}" is not of the form <${
          what === 'table' ? 'database' : 'cluster'
        }>/<${what}>`,
      );
    }
    return { cluster, name };
  });
}

type Annotations = Record<string, string> | undefined;

export function parseConsumerGroups(annotations: Annotations): ClusterRef[] {
  const a = ANNOTATION_KAFKA_CONSUMER_GROUPS;
  return parseRefs(a, annotations?.[a], 'group', NAME);
}

export function parseTopics(annotations: Annotations): {
  produces: ClusterRef[];
  consumes: ClusterRef[];
} {
  return {
    produces: parseRefs(
      ANNOTATION_PRODUCES_TOPICS,
      annotations?.[ANNOTATION_PRODUCES_TOPICS],
      'topic',
      NAME,
    ),
    consumes: parseRefs(
      ANNOTATION_CONSUMES_TOPICS,
      annotations?.[ANNOTATION_CONSUMES_TOPICS],
      'topic',
      NAME,
    ),
  };
}

export function parseHypertables(annotations: Annotations): ClusterRef[] {
  const a = ANNOTATION_HYPERTABLES;
  return parseRefs(a, annotations?.[a], 'table', TABLE);
}

export function parseDlqTopics(annotations: Annotations): ClusterRef[] {
  const a = ANNOTATION_DLQ_TOPICS;
  return parseRefs(a, annotations?.[a], 'topic', NAME);
}

export interface DashboardLink {
  cluster: string;
  group?: string;
  url: string;
}

/**
 * Parses `kafka.apache.org/dashboard-urls` as the community plugin does: the
 * first segment is the cluster; a second segment before `http(s)://` is a
 * group. Only http and https links are taken.
 */
export function parseDashboardUrls(annotations: Annotations): DashboardLink[] {
  const a = ANNOTATION_KAFKA_DASHBOARD_URLS;
  return items(a, annotations?.[a]).map(item => {
    const match =
      /^([A-Za-z0-9._-]+)\/(?:([A-Za-z0-9._-]+)\/)?(https?:\/\/\S+)$/.exec(
        item,
      );
    if (!match) {
      throw new AnnotationError(
        a,
        `"${item}" is not of the form <cluster>/[<group>/]<http(s) url>`,
      );
    }
    const [, cluster, group, url] = match;
    return group ? { cluster, group, url } : { cluster, url };
  });
}

export function parseLiveStreams(annotations: Annotations): LiveStreamRef[] {
  const a = ANNOTATION_LIVE_STREAMS;
  return items(a, annotations?.[a]).map(item => {
    const [stream, device, extra] = item.split(':');
    if (
      !(STREAMS as readonly string[]).includes(stream) ||
      extra !== undefined ||
      device === ''
    ) {
      throw new AnnotationError(
        a,
        `"${item}" is not of the form <stream>[:<device>]; streams are ${STREAMS.join(
          ', ',
        )}`,
      );
    }
    return device
      ? { stream: stream as StreamName, device }
      : { stream: stream as StreamName };
  });
}

/**
 * The pipeline an entity belongs to: a name under `streaming.pipeline.pipelines`
 * in app-config. Put it on the System and on each service of the pipeline.
 */
export const ANNOTATION_PIPELINE = 'streaming.homelab.dev/pipeline';
