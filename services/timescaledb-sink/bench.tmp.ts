import { Pool } from 'pg';
import { parseSinkConfig } from './src/config';
import { hypertablesFromConfig, insertParams, insertSql } from './src/hypertable';
(async () => {
  const url = process.argv[2];
  const pool = new Pool({ connectionString: url });
  const config = parseSinkConfig({ kafka: { brokers: 'a:1' }, database: { schema: 'mig1' } });
  const [t] = hypertablesFromConfig(config);
  const N = 20000;
  const base = Date.UTC(2025, 0, 1) + Math.floor(Math.random() * 1e9) * 1000;
  const recs = Array.from({ length: N }, (_, i) => ({ stream: 'energy', device_id: 'm' + (i % 10), ts: new Date(base + i * 1000).toISOString(), fields: { power_kw: i, total_energy_kwh: 12.45, voltage: 230, current: 13.9 }, received_at: new Date().toISOString(), source: {} as any }));
  let t0 = performance.now();
  const params = insertParams(t, recs as any);
  console.log('params', performance.now() - t0);

  t0 = performance.now();

  console.log('serialize', performance.now() - t0);
  for (let k = 0; k < 3; k++) {
    const recs2 = recs.map(r => ({ ...r, ts: new Date(Date.parse(r.ts) + (k + 1) * N * 1000).toISOString() }));
    t0 = performance.now();
    const r = await pool.query(insertSql(t), insertParams(t, recs2 as any));
    console.log('unnest insert', r.rowCount, performance.now() - t0);
  }
  // JSON recordset variant
  const cols = t.columns.map(c => `"${c.name}" ${c.type}`).join(', ');
  const sqlJ = `INSERT INTO mig1.energy_readings (ts, device_id, received_at, ${t.columns.map(c => `"${c.name}"`).join(', ')}, extra)
   SELECT r.ts, r.device_id, r.received_at, ${t.columns.map(c => `(r.f->>'${c.name}')::${c.type}`).join(', ')}, NULL FROM jsonb_to_recordset($1::jsonb) AS r(ts timestamptz, device_id text, received_at timestamptz, f jsonb) ON CONFLICT (device_id, ts) DO NOTHING`;
  for (let k = 3; k < 6; k++) {
    const recs2 = recs.map(r => ({ ts: new Date(Date.parse(r.ts) + (k + 1) * N * 1000).toISOString(), device_id: r.device_id, received_at: r.received_at, f: r.fields }));
    t0 = performance.now();
    const s = JSON.stringify(recs2);
    const r = await pool.query(sqlJ, [s]);
    console.log('json insert', r.rowCount, performance.now() - t0);
  }
  await pool.end();
})();
