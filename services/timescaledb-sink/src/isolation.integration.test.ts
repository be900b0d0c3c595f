/**
 * One bad partition never stops another topic: neither a poison record nor a
 * table that cannot be written for a while holds up the other streams.
 */
import { DLQ_HEADERS } from '@homelab/pipeline-contracts';
import { testInfra } from '@homelab/infra';
import {
  count,
  produceRecords,
  query,
  randomLetters,
  useSinkFixture,
} from './__testUtils__/harness';
import { canonicalRecord, eventually } from '@homelab/test-kit';

jest.setTimeout(180_000);

const infra = testInfra();

type Fixture = ReturnType<typeof useSinkFixture>;

/** A heat-pump reading must land within 30 s while energy is in trouble. */
async function heatpumpStillLands(f: Fixture) {
  const n = await count(f.url, f.schema, 'heatpump_readings');
  await produceRecords(f.producer, f.topics.heatpump, [
    canonicalRecord(
      'heatpump',
      'hp-1',
      { d0: n },
      new Date(Date.now() - n * 1000),
    ),
  ]);
  await eventually(
    `heat-pump reading ${n} within 30 s`,
    async () => (await count(f.url, f.schema, 'heatpump_readings')) === n + 1,
    { timeoutMs: 30_000 },
  );
}

describe.each([
  ['TimescaleDB (PGlite)', () => infra.timescaleUrl],
  ['plain PostgreSQL', () => infra.databaseUrl],
])('a stuck energy partition on %s', (_name, dbUrl) => {
  const f = useSinkFixture(() => infra.kafkaBrokers, dbUrl);
  const { url, topics, schema } = f;

  it('a 3,000-letter device id goes to the DLQ (54000) and heat-pump readings keep landing', async () => {
    const longId = randomLetters(3000);
    await produceRecords(f.producer, topics.energy, [
      canonicalRecord('energy', longId, { power_kw: 1.5 }, new Date()),
    ]);
    await new Promise(r => setTimeout(r, 2000));
    await heatpumpStillLands(f);
    const letter = await eventually(
      'the dead letter',
      () =>
        f.dlq.seen.find(l => l.headers[DLQ_HEADERS.errorClass] === 'db-54000'),
      { timeoutMs: 60_000 },
    );
    expect(letter.headers[DLQ_HEADERS.reason]).toMatch(/index row size/);
    expect(letter.key).toBe(`${topics.energy}:0:0`);
    // The energy partition moved on too.
    await produceRecords(f.producer, topics.energy, [
      canonicalRecord('energy', 'meter-after', { power_kw: 2 }, new Date()),
    ]);
    await eventually(
      'the energy reading after the poison',
      async () => (await count(url, schema, 'energy_readings')) === 1,
      { timeoutMs: 60_000 },
    );
    expect(f.sink.health()).toMatchObject({
      ready: true,
      details: { partitionsWaitingForDatabase: [] },
    });
  });
});

// The test's trigger is DDL from another connection: on PostgreSQL a session
// of its own. PGlite serves every connection from one backend, where a
// client's statement can land in another's transaction, so this runs on
// PostgreSQL only; the pause itself does not depend on the database.
describe('an energy partition waiting for the database', () => {
  const dbUrl = () => infra.databaseUrl;
  const f = useSinkFixture(() => infra.kafkaBrokers, dbUrl);
  const { url, topics, schema } = f;

  it('while energy writes wait for the database, heat-pump readings keep landing, and energy resumes without loss', async () => {
    // Every energy insert now fails with serialization_failure, an error
    // the sink waits out rather than dead-letters.
    await query(
      url,
      `CREATE FUNCTION "${schema}".refuse_energy() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'test: energy_readings refuses writes' USING ERRCODE = '40001'; END $$;
       CREATE TRIGGER refuse_energy BEFORE INSERT ON "${schema}".energy_readings
       FOR EACH ROW EXECUTE FUNCTION "${schema}".refuse_energy()`,
    );
    const energy = Array.from({ length: 50 }, (_, i) =>
      canonicalRecord(
        'energy',
        'meter-waiting',
        {
          power_kw: i,
        },
        new Date(Date.now() - i * 1000),
      ),
    );
    await produceRecords(f.producer, topics.energy, energy);
    await eventually(
      'the energy partition to wait',
      () =>
        (
          f.sink.health().details?.partitionsWaitingForDatabase as string[]
        ).includes(`${topics.energy}:0`),
      { timeoutMs: 60_000 },
    );
    for (let i = 0; i < 3; i++) {
      await heatpumpStillLands(f);
      await new Promise(r => setTimeout(r, 1000));
    }
    expect(f.sink.health().ready).toBe(false);

    await query(
      url,
      `DROP TRIGGER refuse_energy ON "${schema}".energy_readings`,
    );
    await eventually(
      'the waiting energy readings',
      async () => (await count(url, schema, 'energy_readings')) === 50,
      { timeoutMs: 60_000 },
    );
    await eventually(
      'the sink to be ready again',
      () => f.sink.health().ready,
      { timeoutMs: 60_000 },
    );
    // Waited for, not dead-lettered.
    expect(f.dlq.seen).toHaveLength(0);
    const retries = await f.sink.metrics.registry.getSingleMetricAsString(
      'timescaledb_sink_db_retries_total',
    );
    expect(retries).toMatch(/class="transient"} [1-9]/);
  });
});

describe('a record that always runs out of time', () => {
  const f = useSinkFixture(
    () => infra.kafkaBrokers,
    () => infra.databaseUrl,
    {
      database: {
        url: infra.databaseUrl,
        poolMax: 2,
        statementTimeoutMs: 1000,
        queryTimeoutMs: 30_000,
      },
    },
  );

  it('is split down to itself, tried 3 times, dead-lettered (57014); its neighbours and the heat-pump readings land', async () => {
    const { url, schema, topics } = f;
    // Writing this one device takes longer than the statement timeout.
    await query(
      url,
      `CREATE FUNCTION "${schema}".slow_energy() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN IF NEW.device_id = 'slow' THEN PERFORM pg_sleep(5); END IF; RETURN NEW; END $$;
       CREATE TRIGGER slow_energy BEFORE INSERT ON "${schema}".energy_readings
       FOR EACH ROW EXECUTE FUNCTION "${schema}".slow_energy()`,
    );
    const now = Date.now();
    const batch = Array.from({ length: 20 }, (_, i) =>
      canonicalRecord(
        'energy',
        i === 13 ? 'slow' : 'meter',
        {
          power_kw: i,
        },
        new Date(now - i * 1000),
      ),
    );
    await produceRecords(f.producer, topics.energy, batch);
    await heatpumpStillLands(f);
    const letter = await eventually(
      'the dead letter',
      () =>
        f.dlq.seen.find(l => l.headers[DLQ_HEADERS.errorClass] === 'db-57014'),
      { timeoutMs: 120_000 },
    );
    expect(letter.key).toBe(`${topics.energy}:0:13`);
    expect(letter.headers[DLQ_HEADERS.attempts]).toBe('3');
    expect(letter.headers[DLQ_HEADERS.reason]).toMatch(/statement timeout/);
    await eventually(
      'the 19 neighbours',
      async () => (await count(url, schema, 'energy_readings')) === 19,
      { timeoutMs: 60_000 },
    );
    expect(f.dlq.seen).toHaveLength(1);
    await eventually('the sink ready', () => f.sink.health().ready, {
      timeoutMs: 60_000,
    });
  });
});
