import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { timescaledb } from '@electric-sql/pglite/timescaledb';
import { cacheRoot } from '../cache';

/** The installed PGlite build, so a template from another build is never reused. */
function pgliteVersion(): string {
  // The package does not export its package.json; find it above the entry point.
  let dir = path.dirname(require.resolve('@electric-sql/pglite'));
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'))
    .version;
}

export function templateDir(): string {
  return path.join(cacheRoot(), 'timescale', pgliteVersion(), 'template');
}

export async function openTimescale(dataDir?: string): Promise<PGlite> {
  const db = await PGlite.create({ dataDir, extensions: { timescaledb } });
  // Reopening an existing data dir: unless the library is loaded before any
  // other statement, TimescaleDB's TSL half stays unloaded and continuous
  // aggregates and compression fail with 'not supported under the current
  // "timescale" license'. On a fresh dir CREATE EXTENSION would load it.
  await db.exec("LOAD 'timescaledb'");
  await db.exec('CREATE EXTENSION IF NOT EXISTS timescaledb');
  return db;
}

/**
 * Fills an empty data dir from a cached, already initialised one (with the
 * extension created). PGlite's initdb runs in WASM and takes 10-15 s; copying
 * 30 MB takes well under one. The template is built once per PGlite version
 * and published with a rename, so concurrent first runs cannot see half of it.
 */
export async function prepareDataDir(
  dataDir: string,
): Promise<'reused' | 'from-template'> {
  if (existsSync(path.join(dataDir, 'PG_VERSION'))) return 'reused';
  const template = templateDir();
  if (!existsSync(path.join(template, 'PG_VERSION'))) {
    const building = `${template}.${process.pid}.tmp`;
    rmSync(building, { recursive: true, force: true });
    mkdirSync(path.dirname(template), { recursive: true });
    const db = await openTimescale(building);
    await db.close();
    try {
      renameSync(building, template);
    } catch {
      // Another process published its template first; theirs is as good.
      rmSync(building, { recursive: true, force: true });
    }
  }
  cpSync(template, dataDir, {
    recursive: true,
    filter: source => path.basename(source) !== 'postmaster.pid',
  });
  return 'from-template';
}
