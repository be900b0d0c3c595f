import { z } from 'zod';
import { parseConfig } from './config';
import { camelCase, renameSnakeAliases } from './keyAliases';

const schema = z
  .object({
    kafka: z
      .object({
        groupId: z.string().default('g'),
        topics: z.record(z.string(), z.string()).default({}),
      })
      .strict()
      .prefault({}),
    server: z
      .preprocess(
        v => v,
        z
          .object({ maxConnections: z.coerce.number().int().positive() })
          .strict(),
      )
      .optional(),
    devices: z.array(z.object({ intervalMs: z.number() }).strict()).default([]),
  })
  .strict();

describe('snake_case aliases', () => {
  it('turns snake_case into camelCase', () => {
    expect(camelCase('max_send_queue_bytes')).toBe('maxSendQueueBytes');
    expect(camelCase('plain')).toBe('plain');
  });

  it('renames keys the schema knows, in objects, preprocessed objects and arrays', () => {
    expect(
      renameSnakeAliases(schema, {
        kafka: { group_id: 'x', topics: { power_kw: 'a_b' } },
        server: { max_connections: 3 },
        devices: [{ interval_ms: 5 }],
      }),
    ).toEqual({
      kafka: { groupId: 'x', topics: { power_kw: 'a_b' } },
      server: { maxConnections: 3 },
      devices: [{ intervalMs: 5 }],
    });
  });

  it('leaves unknown keys for strict() to name', () => {
    expect(() =>
      parseConfig(schema, { kafka: { group_ib: 'x' } }, 'f.yaml', {
        keyAliases: 'snake',
      }),
    ).toThrow('config error: kafka: Unrecognized key: "group_ib" (in f.yaml)');
  });

  it('names the key as written when its value is wrong', () => {
    expect(() =>
      parseConfig(schema, { server: { max_connections: -1 } }, 'f.yaml', {
        keyAliases: 'snake',
      }),
    ).toThrow(/^config error: server\.max_connections: .* \(in f\.yaml\)$/);
  });

  it('refuses both spellings of one key', () => {
    expect(() =>
      parseConfig(
        schema,
        { kafka: { group_id: 'a', groupId: 'b' } },
        'f.yaml',
        {
          keyAliases: 'snake',
        },
      ),
    ).toThrow(
      'config error: kafka.group_id: give groupId or its older spelling group_id, not both (in f.yaml)',
    );
  });
});
