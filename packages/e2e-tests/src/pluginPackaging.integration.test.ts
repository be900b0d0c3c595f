import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { Browser } from 'playwright-core';
import { parse } from 'yaml';
import { launchBrowser, signInAsGuest, step } from './browser';
import { freePort, repoRoot } from './portal';
import { infraFromEnv } from './stack';

/**
 * The three streaming plugins as someone else's Backstage gets them: built
 * with `backstage-cli package build` and packed with `yarn pack` (which runs
 * the packages' own prepack), together with every workspace package they
 * need at run time (today @homelab/pipeline-contracts), then installed from
 * the tarballs into a second app (copies of packages/backend and
 * packages/app whose `@homelab/*` dependencies are the tarballs), which
 * builds its frontend, starts its backend against the shared Kafka,
 * PostgreSQL and TimescaleDB, answers on the plugin's routes with real data
 * and shows the Kafka tab in Chromium.
 *
 * Nothing is written into the checkout: the build and pack happen in a copy
 * of the package folders, so a crash mid-pack cannot leave a rewritten
 * package.json behind for the other people working in this repository.
 */

const PLUGINS = {
  'streaming-common': '@homelab/plugin-streaming-common',
  'streaming-backend': '@homelab/plugin-streaming-backend',
  streaming: '@homelab/plugin-streaming',
} as const;
const PLUGIN_NAMES = new Set<string>(Object.values(PLUGINS));

const execFileAsync = promisify(execFile);
const logDir = join(repoRoot, 'test-artifacts', 'logs');
const rootManifest = JSON.parse(
  readFileSync(join(repoRoot, 'package.json'), 'utf8'),
);
const yarnRelease = join(
  repoRoot,
  parse(readFileSync(join(repoRoot, '.yarnrc.yml'), 'utf8')).yarnPath,
);
const backstageCli = 'node_modules/@backstage/cli/bin/backstage-cli';

function tail(text: string, lines = 60): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** Runs a command to completion; a failure carries the end of its output. */
async function run(
  what: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<string> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: 64 * 1024 * 1024,
    });
    return `${stdout}${stderr}`;
  } catch (error) {
    const e = error as { message: string; stdout?: string; stderr?: string };
    throw new Error(
      `${what} failed: ${e.message.split('\n')[0]}\n${tail(
        `${e.stdout ?? ''}${e.stderr ?? ''}`,
      )}`,
    );
  }
}

/** Workspace folders of the checkout, from the root manifest's globs. */
function workspaceDirs(): string[] {
  return (rootManifest.workspaces as string[]).flatMap(glob => {
    const parent = join(repoRoot, glob.replace(/\/\*$/, ''));
    return readdirSync(parent)
      .map(name => join(parent, name))
      .filter(dir => existsSync(join(dir, 'package.json')));
  });
}

interface Workspace {
  dir: string;
  name: string;
  manifest: {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
}

function readWorkspaces(): Workspace[] {
  return workspaceDirs().map(dir => {
    const manifest = readJson(join(dir, 'package.json'));
    return { dir, name: manifest.name, manifest };
  });
}

/**
 * The plugins and every workspace package they need at run time, however
 * deep: each of them must be publishable, and each is packed and installed
 * from its tarball.
 */
function packagesToPack(): Workspace[] {
  const byName = new Map(readWorkspaces().map(w => [w.name, w]));
  const found = new Map<string, Workspace>();
  const queue = [...PLUGIN_NAMES];
  while (queue.length) {
    const ws = byName.get(queue.pop()!)!;
    if (found.has(ws.name)) continue;
    found.set(ws.name, ws);
    const { dependencies, peerDependencies } = ws.manifest;
    for (const dep of Object.keys({ ...dependencies, ...peerDependencies }))
      if (byName.has(dep)) queue.push(dep);
  }
  return [...found.values()];
}

/**
 * A stand-in for the checkout in which `yarn pack` behaves exactly as it
 * does here: every workspace manifest, the lockfile and Yarn's install state
 * (so the prepack script finds backstage-cli), the installed node_modules
 * linked in, and full copies of the packages to pack only.
 */
function createPackWorkspace(dir: string, toPack: Workspace[]): void {
  for (const file of ['package.json', 'yarn.lock', '.yarnrc.yml']) {
    cpSync(join(repoRoot, file), join(dir, file));
  }
  mkdirSync(join(dir, '.yarn'));
  cpSync(
    join(repoRoot, '.yarn/install-state.gz'),
    join(dir, '.yarn/install-state.gz'),
  );
  symlinkSync(join(repoRoot, '.yarn/releases'), join(dir, '.yarn/releases'));

  for (const ws of workspaceDirs()) {
    const target = join(dir, relative(repoRoot, ws));
    mkdirSync(target, { recursive: true });
    if (toPack.some(p => p.dir === ws)) {
      cpSync(ws, target, {
        recursive: true,
        filter: src =>
          !['node_modules', 'dist', 'dist-types'].includes(basename(src)),
      });
      if (existsSync(join(ws, 'node_modules')))
        symlinkSync(join(ws, 'node_modules'), join(target, 'node_modules'));
    } else {
      cpSync(join(ws, 'package.json'), join(target, 'package.json'));
    }
  }

  // Each installed package is linked in; the workspace links point at the
  // copies, so TypeScript and the bundler read the copied sources.
  const modules = join(repoRoot, 'node_modules');
  mkdirSync(join(dir, 'node_modules'));
  for (const entry of readdirSync(modules)) {
    const from = join(modules, entry);
    const to = join(dir, 'node_modules', entry);
    if (entry === '.yarn-state.yml') cpSync(from, to);
    else if (entry.startsWith('@') && lstatSync(from).isDirectory()) {
      mkdirSync(to);
      for (const scoped of readdirSync(from)) {
        const link = join(from, scoped);
        symlinkSync(
          lstatSync(link).isSymbolicLink() &&
            !readlinkSync(link).includes('node_modules')
            ? readlinkSync(link)
            : link,
          join(to, scoped),
        );
      }
    } else symlinkSync(from, to);
  }

  // Declarations of the packages to pack only: `backstage-cli package build`
  // reads them from dist-types, as after `yarn tsc` in the checkout.
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: '@backstage/cli/config/tsconfig.json',
      include: toPack.flatMap(p => [
        `${relative(repoRoot, p.dir)}/src`,
        `${relative(repoRoot, p.dir)}/config.d.ts`,
      ]),
      exclude: [
        'node_modules',
        '**/*.test.ts',
        '**/*.test.tsx',
        '**/__testUtils__/**',
        '**/setupTests.ts',
      ],
      compilerOptions: {
        outDir: 'dist-types',
        rootDir: '.',
        jsx: 'react-jsx',
        // The linked node_modules must stay inside this folder for tsc.
        preserveSymlinks: true,
      },
    }),
  );
}

function readJson(file: string) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map(f => join(dir, f))
    .filter(f => lstatSync(f).isFile());
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Bare module specifiers a built file imports or requires. */
function importedPackages(code: string): string[] {
  const found = new Set<string>();
  const pattern =
    /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"./][^'"]*)['"]/gm;
  for (const m of code.matchAll(pattern)) found.add(packageOf(m[1]));
  return [...found];
}

interface Pg {
  Client: new (o: { connectionString: string }) => {
    connect(): Promise<void>;
    query(sql: string): Promise<unknown>;
    end(): Promise<void>;
  };
}
interface KafkaJs {
  Kafka: new (o: object) => {
    admin(): {
      connect(): Promise<void>;
      disconnect(): Promise<void>;
      createTopics(o: object): Promise<boolean>;
      deleteTopics(o: object): Promise<void>;
      setOffsets(o: object): Promise<void>;
      deleteGroups(groups: string[]): Promise<unknown>;
    };
    producer(): {
      connect(): Promise<void>;
      disconnect(): Promise<void>;
      send(o: object): Promise<unknown>;
    };
  };
  logLevel: { NOTHING: number };
}

describe('the streaming plugins, packed and installed in a second Backstage app', () => {
  const infra = infraFromEnv();
  const root = mkdtempSync(join(tmpdir(), 'plugin-packaging-'));
  const packWs = join(root, 'pack-workspace');
  const tarballs = join(root, 'tarballs');
  const unpacked = join(root, 'unpacked');
  const appDir = join(root, 'second-app');
  const suffix = randomBytes(4).toString('hex');
  const topic = `packaging-topic-${suffix}`;
  const group = `packaging-group-${suffix}`;
  const table = `packaging_${suffix}`;
  const entity = `packaged-probe-${suffix}`;
  const logFile = join(logDir, 'plugin-packaging-backend.log');
  let backend: ChildProcess | undefined;
  let browser: Browser | undefined;
  let baseUrl = '';
  // Fixture clients come from the second app's install: kafkajs and pg are
  // dependencies of the packed backend plugin, not of this test package.
  const appRequire = () =>
    createRequire(join(appDir, 'packages/backend/package.json'));

  const toPack = packagesToPack();
  const packedNames = new Set(toPack.map(p => p.name));
  const slug = (name: string) => name.replace(/^@/, '').replace('/', '-');
  const tarball = (name: string) => join(tarballs, `${slug(name)}.tgz`);
  const packed = (name: string) => join(unpacked, slug(name), 'package');

  afterAll(async () => {
    await browser?.close();
    if (backend?.pid) {
      const child = backend;
      const gone = () => child.exitCode !== null || child.signalCode !== null;
      const waitGone = async (ms: number) => {
        const until = Date.now() + ms;
        while (!gone() && Date.now() < until)
          await new Promise(r => setTimeout(r, 100));
      };
      // The whole group: backstage-cli's watcher and the backend under it.
      for (const [signal, ms] of [
        ['SIGTERM', 15_000],
        ['SIGKILL', 5_000],
      ] as const) {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          break; // the group is gone
        }
        await waitGone(ms);
      }
    }
    try {
      if (existsSync(join(appDir, 'node_modules/kafkajs'))) {
        const { Kafka, logLevel } = appRequire()('kafkajs') as KafkaJs;
        const admin = new Kafka({
          clientId: 'plugin-packaging-cleanup',
          brokers: infra.kafka.split(','),
          logLevel: logLevel.NOTHING,
        }).admin();
        await admin.connect();
        // Either may not exist: an earlier step can fail before creating them.
        await admin.deleteGroups([group]).catch(() => undefined);
        await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
        await admin.disconnect();
        const { Client } = appRequire()('pg') as Pg;
        const db = new Client({ connectionString: infra.timescale });
        await db.connect();
        await db.query(`DROP TABLE IF EXISTS ${table}`);
        await db.end();
      }
    } finally {
      // A gigabyte of node_modules: never left behind, also when the fixture cleanup fails.
      rmSync(root, { recursive: true, force: true });
    }
  }, 120_000);

  it('builds and packs each plugin, and each workspace package they need, with backstage-cli and yarn pack', async () => {
    mkdirSync(packWs);
    mkdirSync(tarballs);
    createPackWorkspace(packWs, toPack);
    await run(
      'tsc of the packages',
      [join(packWs, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'],
      { cwd: packWs, timeoutMs: 180_000 },
    );
    for (const { dir, name } of toPack) {
      const cwd = join(packWs, relative(repoRoot, dir));
      await run(
        `build of ${name}`,
        [join(packWs, backstageCli), 'package', 'build'],
        { cwd, timeoutMs: 180_000 },
      );
      await run(
        `yarn pack of ${name}`,
        [yarnRelease, 'pack', '--out', tarball(name)],
        { cwd, timeoutMs: 180_000 },
      );
      mkdirSync(join(unpacked, slug(name)), { recursive: true });
      await execFileAsync('tar', [
        'xzf',
        tarball(name),
        '-C',
        join(unpacked, slug(name)),
      ]);
      expect(existsSync(join(packed(name), 'package.json'))).toBe(true);
    }
  }, 420_000);

  it('ship what a consumer needs: dist, config schema, migrations, OpenAPI file and plugin metadata', () => {
    const files = (name: string) =>
      filesUnder(packed(name)).map(f => relative(packed(name), f));
    const commonPkg = PLUGINS['streaming-common'];
    const backendPkg = PLUGINS['streaming-backend'];
    const frontendPkg = PLUGINS.streaming;
    expect(files(commonPkg)).toEqual(
      expect.arrayContaining([
        'package.json',
        'dist/index.cjs.js',
        'dist/index.esm.js',
        'dist/index.d.ts',
      ]),
    );
    const migrations = readdirSync(
      join(repoRoot, 'plugins/streaming-backend/migrations'),
    ).map(m => `migrations/${m}`);
    expect(migrations.length).toBeGreaterThan(0);
    expect(files(backendPkg)).toEqual(
      expect.arrayContaining([
        'dist/index.cjs.js',
        'dist/index.d.ts',
        'config.d.ts',
        'config.schema.json',
        'src/schema/openapi.yaml',
        'README.md',
        ...migrations,
      ]),
    );
    expect(files(frontendPkg)).toEqual(
      expect.arrayContaining([
        'dist/index.esm.js',
        'dist/index.d.ts',
        'dist/alpha.esm.js',
        'dist/alpha.d.ts',
        'config.d.ts',
        'config.schema.json',
        'README.md',
      ]),
    );

    for (const { name } of toPack) {
      // Sources and tests stay home.
      expect(
        files(name).filter(
          f =>
            /\.test\.|setupTests|__testUtils__/.test(f) ||
            (f.startsWith('src/') && f !== 'src/schema/openapi.yaml'),
        ),
      ).toEqual([]);
      const pkg = readJson(join(packed(name), 'package.json'));
      expect(pkg.name).toBe(name);
      // Private packages cannot be published to a registry.
      expect(pkg.private).toBeUndefined();
      // Every entry point names a file that is in the tarball.
      const exported = Object.values(
        (pkg.exports ?? {}) as Record<string, string | Record<string, string>>,
      ).flatMap(e => (typeof e === 'string' ? [e] : Object.values(e)));
      const entries = [pkg.main, pkg.types, pkg.module, ...exported].filter(
        (e): e is string => typeof e === 'string' && /^(\.\/)?dist\//.test(e),
      );
      expect(entries).toContain(pkg.main);
      for (const e of entries)
        expect(existsSync(join(packed(name), e))).toBe(true);
    }

    for (const name of PLUGIN_NAMES) {
      const pkg = readJson(join(packed(name), 'package.json'));
      expect(pkg.backstage.pluginId).toBe('streaming');
      expect([...pkg.backstage.pluginPackages].sort()).toEqual(
        [...PLUGIN_NAMES].sort(),
      );
    }
    expect(
      readJson(join(packed(commonPkg), 'package.json')).configSchema,
    ).toBeUndefined();
    for (const name of [frontendPkg, backendPkg]) {
      const pkg = readJson(join(packed(name), 'package.json'));
      // prepack compiles config.d.ts into the JSON schema the config loader reads.
      expect(pkg.configSchema).toBe('config.schema.json');
      const schema = readJson(join(packed(name), pkg.configSchema));
      expect(schema.properties).toHaveProperty('kafka');
    }
    expect(
      readJson(join(packed(backendPkg), 'package.json')).backstage.features,
    ).toEqual({
      '.': '@backstage/BackendFeature',
    });
    expect(
      readJson(join(packed(frontendPkg), 'package.json')).backstage.features,
    ).toEqual({
      './alpha': '@backstage/FrontendPlugin',
    });
  });

  it('depend on nothing that exists only in this repository, and declare all they import', () => {
    const workspaceOnly = new Set(
      readWorkspaces()
        .map(w => w.name)
        .filter(name => !packedNames.has(name)),
    );
    const builtins = new Set(builtinModules);
    for (const { name } of toPack) {
      const manifest = readFileSync(join(packed(name), 'package.json'), 'utf8');
      expect(manifest).not.toContain('workspace:');
      const pkg = JSON.parse(manifest);
      const runtime = {
        ...pkg.dependencies,
        ...pkg.peerDependencies,
      } as Record<string, string>;
      expect(Object.keys(runtime).filter(d => workspaceOnly.has(d))).toEqual(
        [],
      );
      const undeclared = new Set<string>();
      for (const file of filesUnder(join(packed(name), 'dist'))) {
        if (!/\.(js|d\.ts)$/.test(file)) continue;
        for (const dep of importedPackages(readFileSync(file, 'utf8'))) {
          if (builtins.has(dep.replace(/^node:/, '')) || runtime[dep]) continue;
          undeclared.add(`${name}/${relative(packed(name), file)}: ${dep}`);
        }
      }
      expect([...undeclared]).toEqual([]);
    }
  });

  it('install from the tarballs into a second app with the repository Yarn', async () => {
    mkdirSync(join(appDir, 'packages'), { recursive: true });
    mkdirSync(join(appDir, '.yarn/releases'), { recursive: true });
    cpSync(yarnRelease, join(appDir, '.yarn/releases', basename(yarnRelease)));
    cpSync(join(repoRoot, '.yarnrc.yml'), join(appDir, '.yarnrc.yml'));
    // The checkout's lockfile, so the install takes the versions already in Yarn's cache.
    cpSync(join(repoRoot, 'yarn.lock'), join(appDir, 'yarn.lock'));
    const dep = (name: string) => `file:${tarball(name)}`;
    const dev = rootManifest.devDependencies;
    writeFileSync(
      join(appDir, 'package.json'),
      JSON.stringify(
        {
          name: 'second-app',
          version: '0.0.0',
          private: true,
          workspaces: ['packages/*'],
          packageManager: rootManifest.packageManager,
          devDependencies: {
            '@backstage/cli': dev['@backstage/cli'],
            '@backstage/cli-defaults': dev['@backstage/cli-defaults'],
            typescript: dev.typescript,
          },
          // The packages depend on each other by version; a registry would
          // serve them, here their tarballs do.
          resolutions: {
            ...rootManifest.resolutions,
            ...Object.fromEntries([...packedNames].map(n => [n, dep(n)])),
          },
          dependenciesMeta: rootManifest.dependenciesMeta,
        },
        null,
        2,
      ),
    );
    for (const name of ['app', 'backend']) {
      const from = join(repoRoot, 'packages', name);
      const to = join(appDir, 'packages', name);
      cpSync(join(from, 'src'), join(to, 'src'), {
        recursive: true,
        filter: src => !/\.test\.tsx?$|setupTests\.ts$/.test(src),
      });
      const pkg = readJson(join(from, 'package.json'));
      delete pkg.devDependencies;
      const ours = Object.keys(pkg.dependencies).filter(d =>
        d.startsWith('@homelab/'),
      );
      expect(ours.filter(d => !packedNames.has(d))).toEqual([]);
      for (const d of ours) pkg.dependencies[d] = dep(d);
      writeFileSync(join(to, 'package.json'), JSON.stringify(pkg, null, 2));
    }

    await run('yarn install of the second app', [yarnRelease, 'install'], {
      cwd: appDir,
      env: {
        // CI=true makes Yarn refuse to touch the lockfile; this one is new by design.
        YARN_ENABLE_IMMUTABLE_INSTALLS: 'false',
        // Hard links into Yarn's global store instead of a copy of every file:
        // the second and later runs on a machine link in seconds.
        YARN_NM_MODE: 'hardlinks-global',
      },
      timeoutMs: 420_000,
    });
    for (const name of packedNames) {
      const installed = join(appDir, 'node_modules', name);
      expect(lstatSync(installed).isSymbolicLink()).toBe(false);
      const pkg = readJson(join(installed, 'package.json'));
      expect(pkg.main).toMatch(/^\.?\/?dist\//);
    }
  }, 480_000);

  it('builds the second app with the frontend plugin discovered from its tarball', async () => {
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const entities = join(appDir, 'entities.yaml');
    writeFileSync(
      entities,
      [
        'apiVersion: backstage.io/v1alpha1',
        'kind: Component',
        'metadata:',
        `  name: ${entity}`,
        '  annotations:',
        `    kafka.apache.org/consumer-groups: local/${group}`,
        `    streaming.homelab.dev/consumes-topics: local/${topic}`,
        `    streaming.homelab.dev/hypertables: timescale/${table}`,
        '    streaming.homelab.dev/live-streams: energy',
        'spec:',
        '  type: service',
        '  lifecycle: experimental',
        '  owner: group:default/packaging-team',
      ].join('\n'),
    );
    // What a user adds to their app-config for the plugins (README: "Add to your Backstage").
    writeFileSync(
      join(appDir, 'app-config.yaml'),
      [
        'app:',
        '  title: Second app',
        `  baseUrl: ${baseUrl}`,
        '  packages: all',
        'backend:',
        `  baseUrl: ${baseUrl}`,
        '  listen:',
        `    port: ${port}`,
        '    host: 127.0.0.1',
        '  database:',
        '    client: pg',
        '    connection: ${DATABASE_URL}',
        `    prefix: packaging_${suffix}_`,
        'auth:',
        '  environment: development',
        '  providers:',
        '    guest:',
        '      userEntityRef: user:default/guest',
        '      ownershipEntityRefs: [user:default/guest, group:default/packaging-team]',
        'catalog:',
        '  rules:',
        '    - allow: [Component, System, API, Resource, Location, Group, User]',
        '  locations:',
        '    - type: file',
        `      target: ${entities}`,
        'techdocs:',
        '  builder: external',
        'kubernetes:',
        '  serviceLocatorMethod:',
        '    type: multiTenant',
        '  clusterLocatorMethods:',
        '    - type: config',
        '      clusters: []',
        'permission:',
        '  enabled: true',
        'kafka:',
        '  clientId: second-app',
        '  clusters:',
        '    - name: local',
        `      brokers: [${infra.kafka}]`,
        '      dashboardUrl: https://dashboards.example/kafka',
        'streaming:',
        '  timescale:',
        '    databases:',
        '      - name: timescale',
        '        connection: ${TIMESCALE_URL}',
        '        maxConnections: 1',
        '  live:',
        '    jwtSecret: ${JWT_SECRET}',
        '    websocketUrl: ws://127.0.0.1:9/ws/energy',
      ].join('\n'),
    );
    await run(
      'build of the second app',
      [
        join(appDir, backstageCli),
        'package',
        'build',
        '--config',
        '../../app-config.yaml',
      ],
      {
        cwd: join(appDir, 'packages/app'),
        env: { NODE_ENV: 'production' },
        timeoutMs: 420_000,
      },
    );
    // The plugin's code (its API ids) is in the bundle, taken from node_modules.
    const bundle = filesUnder(join(appDir, 'packages/app/dist/static'))
      .filter(f => f.endsWith('.js'))
      .map(f => readFileSync(f, 'utf8'))
      .join('\n');
    expect(bundle).toContain('plugin.streaming.service');
    expect(bundle).toContain('streaming.homelab.dev/hypertables');
  }, 480_000);

  it('starts the second backend and the plugin answers with real data', async () => {
    // Real data for the entity: a topic with five records, a group three in, a hypertable with three rows.
    const { Kafka, logLevel } = appRequire()('kafkajs') as KafkaJs;
    const kafka = new Kafka({
      clientId: 'plugin-packaging-fixture',
      brokers: infra.kafka.split(','),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [1, 2, 3, 4, 5].map(i => ({ value: `record ${i}` })),
    });
    await producer.disconnect();
    await admin.setOffsets({
      groupId: group,
      topic,
      partitions: [{ partition: 0, offset: '3' }],
    });
    await admin.disconnect();
    const { Client } = appRequire()('pg') as Pg;
    const db = new Client({ connectionString: infra.timescale });
    await db.connect();
    await db.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
    await db.query(
      `CREATE TABLE ${table} (ts timestamptz NOT NULL, device_id text NOT NULL, value double precision)`,
    );
    await db.query(`SELECT create_hypertable('${table}', 'ts')`);
    await db.query(
      `INSERT INTO ${table} VALUES (now(), 'a', 1), (now() - interval '1 minute', 'a', 2), (now() - interval '2 minutes', 'b', 3)`,
    );
    await db.end();

    mkdirSync(logDir, { recursive: true });
    const out = openSync(logFile, 'w');
    backend = spawn(
      process.execPath,
      [
        join(appDir, backstageCli),
        'package',
        'start',
        '--config',
        '../../app-config.yaml',
      ],
      {
        cwd: join(appDir, 'packages/backend'),
        env: {
          ...process.env,
          DATABASE_URL: infra.database,
          TIMESCALE_URL: infra.timescale,
          JWT_SECRET: randomBytes(32).toString('hex'),
          // Guest sign-in exists only in development.
          NODE_ENV: 'development',
        },
        detached: true,
        stdio: ['ignore', out, out],
      },
    );
    const deadline = Date.now() + 240_000;
    for (;;) {
      if (backend.exitCode !== null)
        throw new Error(
          `second backend exited with ${backend.exitCode}:\n${tail(
            readFileSync(logFile, 'utf8'),
          )}`,
        );
      const ready = await fetch(`${baseUrl}/.backstage/health/v1/readiness`)
        .then(r => r.ok)
        .catch(() => false);
      if (ready) break;
      if (Date.now() > deadline)
        throw new Error(
          `second backend not ready:\n${tail(readFileSync(logFile, 'utf8'))}`,
        );
      await new Promise(r => setTimeout(r, 1000));
    }

    const refresh = await fetch(
      `${baseUrl}/api/auth/guest/refresh?env=development`,
      { headers: { 'x-requested-with': 'XMLHttpRequest' } },
    );
    expect(refresh.status).toBe(200);
    const token = (
      (await refresh.json()) as {
        backstageIdentity: { token: string };
      }
    ).backstageIdentity.token;
    const api = `${baseUrl}/api/streaming/entities/component/default/${entity}`;
    const get = (path: string, auth = true) =>
      fetch(`${api}${path}`, {
        headers: auth ? { authorization: `Bearer ${token}` } : {},
      });

    // The plugin's auth wiring holds in a foreign backend too.
    expect((await get('/kafka', false)).status).toBe(401);

    // The catalog reads the entity file a few seconds after start; until
    // then the permission check cannot find the entity and answers 403.
    const catalogDeadline = Date.now() + 120_000;
    for (;;) {
      const res = await fetch(
        `${baseUrl}/api/catalog/entities/by-name/component/default/${entity}`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      const owned =
        res.ok &&
        (
          (await res.json()) as { relations?: { type: string }[] }
        ).relations?.some(r => r.type === 'ownedBy');
      if (owned) break;
      if (Date.now() > catalogDeadline)
        throw new Error(`the catalog never served ${entity}: ${res.status}`);
      await new Promise(r => setTimeout(r, 1000));
    }
    const kafkaRes = await get('/kafka');
    expect(kafkaRes.status).toBe(200);
    const kafkaBody = (await kafkaRes.json()) as {
      clusters: { name: string; dashboardUrl?: string }[];
      groups: { group: string; totalLag: number; error?: string }[];
      topics: { topic: string; records: number; error?: string }[];
    };
    expect(kafkaBody.clusters).toEqual([
      { name: 'local', dashboardUrl: 'https://dashboards.example/kafka' },
    ]);
    expect(kafkaBody.groups).toMatchObject([{ group, totalLag: 2 }]);
    expect(kafkaBody.groups[0].error).toBeUndefined();
    expect(kafkaBody.topics).toMatchObject([{ topic, records: 5 }]);

    const tsRes = await get('/timescale');
    expect(tsRes.status).toBe(200);
    const tsBody = (await tsRes.json()) as {
      tables: {
        table: string;
        timescale: boolean;
        rows?: { count: number };
        error?: string;
      }[];
    };
    expect(tsBody.tables).toMatchObject([
      { table, timescale: true, rows: { count: 3 } },
    ]);
    expect(tsBody.tables[0].error).toBeUndefined();

    // Live tokens come from the packed plugin's config (streaming.live).
    const live = await get('/live/token');
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({
      websocketUrl: 'ws://127.0.0.1:9/ws/energy',
      streams: [{ stream: 'energy' }],
    });

    // The backend serves the app built from the tarball, with the frontend
    // plugin's config schema letting the dashboard link through to the browser.
    const index = await fetch(`${baseUrl}/`);
    expect(index.status).toBe(200);
    const html = await index.text();
    expect(html).toContain('https://dashboards.example/kafka');
  }, 420_000);

  it('shows the Kafka tab of the packed frontend plugin in a real browser', async () => {
    browser = await launchBrowser();
    const page = await browser.newPage();
    await step(page, 'plugin-packaging-kafka-tab', async () => {
      await page.goto(`${baseUrl}/catalog/default/component/${entity}/kafka`);
      await signInAsGuest(page);
      // The tab renders the group and topic the packed backend plugin read from Kafka.
      await page.getByText(group).first().waitFor({ timeout: 90_000 });
      await page.getByText(topic).first().waitFor({ timeout: 30_000 });
    });
    await page.close();
  }, 180_000);
});
