import type { Entity } from '@backstage/catalog-model';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  ANNOTATION_DLQ_TOPICS,
  ClusterRef,
  DeadLettersResponse,
  parseDlqTopics,
} from '@homelab/plugin-streaming-common';
import { parseAnnotation } from '../parseAnnotation';
import { TtlCache } from '../TtlCache';
import type { KafkaClusters } from '../kafka/clusters';
import type { DlqReader } from './DlqReader';
import {
  countLetters,
  Cursor,
  parseCursor,
  PartitionRange,
  pickPage,
  toDeadLetter,
} from './letters';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;
/** The counts cover at most this many of the newest letters per partition. */
export const COUNT_WINDOW = 2000;

interface Watermarks {
  low: Map<number, number>;
  high: Map<number, number>;
}

/**
 * The Dead letters tab: counts by reason class over the newest letters and
 * pages of letters, newest first, back to the start of the topic's
 * retention. Read-only: see DlqReader.
 */
export class DlqService {
  /** First pages only (they also read the counts window); older pages do not change. */
  private readonly firstPages = new TtlCache<DeadLettersResponse>(10_000);

  constructor(
    private readonly clusters: KafkaClusters,
    private readonly reader: DlqReader,
  ) {}

  targets(entity: Entity): ClusterRef[] {
    const refs = parseAnnotation(() =>
      parseDlqTopics(entity.metadata.annotations),
    );
    for (const ref of refs)
      this.clusters.cluster(ref.cluster, ANNOTATION_DLQ_TOPICS);
    return refs;
  }

  async forEntity(
    entity: Entity,
    query: { topic?: string; before?: string; limit?: number } = {},
  ): Promise<DeadLettersResponse> {
    const refs = this.targets(entity);
    const names = refs.map(r => `${r.cluster}/${r.name}`);
    if (!refs.length)
      throw new InputError(
        `the entity has no ${ANNOTATION_DLQ_TOPICS} annotation`,
      );
    const ref = query.topic ? refs[names.indexOf(query.topic)] : refs[0];
    if (!ref) {
      throw new InputError(
        `topic "${
          query.topic
        }" is not in the entity's ${ANNOTATION_DLQ_TOPICS} annotation; its topics are ${names
          .map(n => `"${n}"`)
          .join(', ')}`,
      );
    }
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw new InputError(
        `query parameter "limit" must be a whole number from 1 to ${MAX_PAGE_SIZE}`,
      );
    }
    const cursor = query.before ? parseCursor(query.before) : undefined;
    const read = () => this.page(entity, names, ref, limit, cursor);
    return cursor
      ? read()
      : this.firstPages.get(
          `${ref.cluster}\u0000${ref.name}\u0000${limit}`,
          read,
        );
  }

  /**
   * Reads up to `limit` letters per partition before the cursor; the first
   * page reads the newest COUNT_WINDOW per partition instead and counts them.
   */
  private async page(
    entity: Entity,
    names: string[],
    ref: ClusterRef,
    limit: number,
    cursor?: Cursor,
  ) {
    const marks = await this.watermarks(ref);
    const window = cursor ? limit : Math.max(limit, COUNT_WINDOW);
    const ranges: PartitionRange[] = [...(cursor ?? marks.high).entries()]
      .filter(([p]) => marks.high.has(p))
      .map(([partition, before]) => {
        const to = Math.min(before, marks.high.get(partition)!);
        return {
          partition,
          from: Math.max(marks.low.get(partition)!, to - window),
          to,
        };
      });
    const read = await this.reader.read(ref.cluster, ref.name, ranges);
    const letters = read.messages.map(toDeadLetter);
    const page = pickPage(letters, ranges, marks.low, limit);
    const response: DeadLettersResponse = {
      entityRef: stringifyEntityRef(entity),
      fetchedAt: new Date().toISOString(),
      topics: names,
      cluster: ref.cluster,
      topic: ref.name,
      held: [...marks.high].reduce(
        (sum, [p, high]) => sum + high - (marks.low.get(p) ?? 0),
        0,
      ),
      letters: page.letters,
    };
    if (!cursor) {
      const capped =
        ranges.some(r => r.from > (marks.low.get(r.partition) ?? 0)) ||
        Boolean(read.partial);
      response.counts = countLetters(letters, capped);
    }
    if (page.next) response.next = page.next;
    if (read.partial) response.partial = read.partial;
    return response;
  }

  private watermarks(ref: ClusterRef): Promise<Watermarks> {
    return this.clusters.withAdmin(ref.cluster, async admin => {
      if (!(await admin.listTopics()).includes(ref.name)) {
        throw new InputError(
          `topic ${ref.name} does not exist on cluster ${ref.cluster}`,
        );
      }
      const offsets = await admin.fetchTopicOffsets(ref.name);
      return {
        low: new Map(offsets.map(o => [o.partition, Number(o.low)])),
        high: new Map(offsets.map(o => [o.partition, Number(o.high)])),
      };
    });
  }
}
