import { PGlite } from '@electric-sql/pglite';
import { timescaledb } from '@electric-sql/pglite/timescaledb';
const dir = process.argv[2];
const db = await PGlite.create({ dataDir: dir, extensions: { timescaledb } });
const q = async sql => {
  try {
    const r = await db.query(sql);
    console.log(sql.slice(0, 70), '=>', JSON.stringify(r.rows).slice(0, 100));
  } catch (e) {
    console.log(sql.slice(0, 70), 'ERR', e.message);
  }
};
await q("LOAD 'timescaledb'");
await q('CREATE EXTENSION IF NOT EXISTS timescaledb');
await q('SHOW timescaledb.license');
await q(
  'CREATE TABLE IF NOT EXISTS x (ts timestamptz not null, device text, v int)',
);
await q("SELECT create_hypertable('x','ts', if_not_exists=>true)");
await q(
  "INSERT INTO x SELECT t, 'd', 1 FROM generate_series(now() - interval '3 days', now(), interval '1 hour') t",
);
await q('DROP MATERIALIZED VIEW IF EXISTS xh');
await q(
  "CREATE MATERIALIZED VIEW xh WITH (timescaledb.continuous) AS SELECT time_bucket('1 hour', ts) b, count(*) FROM x GROUP BY b WITH NO DATA",
);
await q("CALL refresh_continuous_aggregate('xh', NULL, NULL)");
await q(
  "ALTER TABLE x SET (timescaledb.compress, timescaledb.compress_segmentby='device')",
);
await q(
  "SELECT compress_chunk(c, if_not_compressed=>true) FROM show_chunks('x') c LIMIT 1",
);
await q("SELECT * FROM hypertable_compression_stats('x')");
await db.close();
