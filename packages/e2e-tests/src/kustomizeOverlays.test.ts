import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * deploy/ is what the user points Flux at: every overlay and the base must
 * render with `kubectl kustomize` and be valid Kubernetes objects. The schema
 * check is kubernetes-validate (bootstrap.sh installs it into .tools/venv):
 * it bundles the API schemas, so it needs no cluster and no network.
 */
const ROOT = resolve(__dirname, '../../..');
const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';
const VALIDATE =
  process.env.KUBERNETES_VALIDATE ??
  join(ROOT, '.tools/venv/bin/kubernetes-validate');
// K3s as the seeds run it; kubectl's own client version is the same minor.
const KUBERNETES_VERSION = '1.32.0';

const HOMELAB_IN_CLUSTER_ADDRESSES: Record<string, string> = {
  REDPANDA_BROKERS: 'redpanda.redpanda.svc.cluster.local:9092',
  KAFKA_BROKERS: 'redpanda.redpanda.svc.cluster.local:9092',
  MQTT_URL: 'mqtt://mosquitto.mosquitto.svc:1883',
  TIMESCALEDB_HOST: 'timescaledb.timescaledb.svc.cluster.local',
};
// Variables whose values are credentials or carry them (connection URLs).
const SECRET_ENV =
  /PASSWORD|SECRET|TOKEN|USERNAME|_USER$|DATABASE_URL|TIMESCALE_URL|CLIENT_ID/;

type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: any;
};

const WORKLOADS = ['Deployment', 'StatefulSet'];
const services = readdirSync(join(ROOT, 'services'), { withFileTypes: true })
  .filter(
    d =>
      d.isDirectory() &&
      existsSync(join(ROOT, 'services', d.name, 'Dockerfile')),
  )
  .map(d => d.name);
const overlays = readdirSync(join(ROOT, 'deploy/overlays'), {
  withFileTypes: true,
})
  .filter(d => d.isDirectory())
  .map(d => `deploy/overlays/${d.name}`);
const PORTAL = 'homelab-portal';
/** The names scripts/build-images.sh tags, without registry override. */
const builtImages = [...services, PORTAL].map(
  name => `ghcr.io/homelab/${name}`,
);

function render(dir: string): string {
  return execFileSync(KUBECTL, ['kustomize', join(ROOT, dir)], {
    encoding: 'utf8',
    timeout: 60_000,
  });
}

function parse(text: string): any[] {
  return parseAllDocuments(text)
    .map(d => d.toJS())
    .filter(Boolean);
}

function containersOf(w: K8sObject): any[] {
  return w.spec.template.spec.containers;
}

function imageName(image: string): string {
  return image.replace(/[:@][^/]*$/, '');
}

describe('deploy/', () => {
  it('has a base holding every service and the portal, and at least the homelab overlay', () => {
    const base = parse(
      readFileSync(join(ROOT, 'deploy/base/kustomization.yaml'), 'utf8'),
    )[0];
    expect(base.resources).toEqual(
      expect.arrayContaining([
        ...services.map(s => `../../services/${s}/deploy`),
        'portal',
      ]),
    );
    expect(overlays).toContain('deploy/overlays/homelab');
  });

  describe.each([
    'deploy/base',
    ...overlays,
    ...services.map(s => `services/${s}/deploy`),
  ])('%s', dir => {
    it('renders and passes the Kubernetes schemas (strict: no unknown fields)', () => {
      const work = mkdtempSync(join(tmpdir(), 'kustomize-'));
      try {
        const file = join(work, 'rendered.yaml');
        writeFileSync(file, render(dir));
        const result = spawnSync(
          VALIDATE,
          ['--strict', '--quiet', '-k', KUBERNETES_VERSION, file],
          {
            encoding: 'utf8',
            timeout: 120_000,
          },
        );
        expect(result.error).toBeUndefined();
        expect({
          status: result.status,
          output: `${result.stdout}${result.stderr}`.trim(),
        }).toEqual({
          status: 0,
          output: '',
        });
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });
  });

  describe.each(overlays)('%s', overlay => {
    let objects: K8sObject[] = [];
    let workloads: K8sObject[] = [];
    beforeAll(() => {
      objects = parse(render(overlay));
      workloads = objects.filter(o => WORKLOADS.includes(o.kind));
    });

    it('runs every service and the portal, each from the image the build produces', () => {
      expect(workloads.map(w => w.metadata.name).sort()).toEqual(
        [...services, PORTAL].sort(),
      );
      const used = workloads.flatMap(w =>
        containersOf(w).map(c => imageName(c.image)),
      );
      expect([...new Set(used)].sort()).toEqual([...builtImages].sort());
      const kustomization = parse(
        readFileSync(join(ROOT, overlay, 'kustomization.yaml'), 'utf8'),
      )[0];
      expect(
        kustomization.images.map((i: { name: string }) => i.name).sort(),
      ).toEqual([...builtImages].sort());
    });

    it("points at the seeds' in-cluster Redpanda, Mosquitto and TimescaleDB", () => {
      const seen: string[] = [];
      for (const w of workloads) {
        for (const c of containersOf(w)) {
          for (const e of c.env ?? []) {
            if (!(e.name in HOMELAB_IN_CLUSTER_ADDRESSES)) continue;
            seen.push(e.name);
            expect({
              where: `${w.metadata.name} ${e.name}`,
              value: e.value,
            }).toEqual({
              where: `${w.metadata.name} ${e.name}`,
              value: HOMELAB_IN_CLUSTER_ADDRESSES[e.name],
            });
          }
        }
      }
      expect(new Set(seen)).toEqual(
        new Set(Object.keys(HOMELAB_IN_CLUSTER_ADDRESSES)),
      );
    });

    it('takes credentials only from Secrets, and commits no Secret', () => {
      expect(objects.filter(o => o.kind === 'Secret')).toEqual([]);
      for (const w of workloads) {
        for (const c of containersOf(w)) {
          for (const e of (c.env ?? []).filter((v: any) =>
            SECRET_ENV.test(v.name),
          )) {
            expect({
              where: `${w.metadata.name} ${e.name}`,
              value: e.value,
              ref: Boolean(e.valueFrom?.secretKeyRef),
            }).toEqual({
              where: `${w.metadata.name} ${e.name}`,
              value: undefined,
              ref: true,
            });
          }
        }
      }
    });

    it("probes each service's /health/live and /health/ready, and the portal's Backstage health endpoints", () => {
      for (const w of workloads) {
        const [live, ready] =
          w.metadata.name === PORTAL
            ? [
                '/.backstage/health/v1/liveness',
                '/.backstage/health/v1/readiness',
              ]
            : ['/health/live', '/health/ready'];
        for (const c of containersOf(w)) {
          expect({
            where: w.metadata.name,
            live: c.livenessProbe?.httpGet?.path,
            ready: c.readinessProbe?.httpGet?.path,
          }).toEqual({
            where: w.metadata.name,
            live,
            ready,
          });
        }
      }
    });

    it('runs every container as non-root on a read-only root filesystem, with /tmp an emptyDir', () => {
      for (const w of workloads) {
        const pod = w.spec.template.spec;
        const emptyDirs = new Set(
          (pod.volumes ?? [])
            .filter((v: any) => v.emptyDir)
            .map((v: any) => v.name),
        );
        for (const c of pod.containers) {
          const tmp = (c.volumeMounts ?? []).find(
            (m: any) => m.mountPath === '/tmp',
          );
          expect({
            where: w.metadata.name,
            nonRoot: c.securityContext?.runAsNonRoot,
            readOnly: c.securityContext?.readOnlyRootFilesystem,
            escalation: c.securityContext?.allowPrivilegeEscalation,
            tmpIsEmptyDir: Boolean(tmp && emptyDirs.has(tmp.name)),
          }).toEqual({
            where: w.metadata.name,
            nonRoot: true,
            readOnly: true,
            escalation: false,
            tmpIsEmptyDir: true,
          });
        }
      }
    });

    it('gives every workload with replicas a PodDisruptionBudget that selects its pods', () => {
      const budgets = objects.filter(o => o.kind === 'PodDisruptionBudget');
      for (const w of workloads.filter(x => (x.spec.replicas ?? 1) > 1)) {
        const labels = w.spec.template.metadata.labels;
        const covering = budgets.filter(b =>
          Object.entries(b.spec.selector.matchLabels ?? {}).every(
            ([k, v]) => labels[k] === v,
          ),
        );
        expect({ workload: w.metadata.name, budgets: covering.length }).toEqual(
          { workload: w.metadata.name, budgets: 1 },
        );
      }
    });

    it("labels the portal's pods with the kubernetes-id its catalog entity carries", () => {
      const entity = parse(
        readFileSync(join(ROOT, 'catalog/portal.yaml'), 'utf8'),
      ).find(e => e.metadata?.name === PORTAL);
      const id = entity?.metadata?.annotations?.['backstage.io/kubernetes-id'];
      expect(id).toBe(PORTAL);
      const portal = workloads.find(w => w.metadata.name === PORTAL)!;
      expect(
        portal.spec.template.metadata.labels['backstage.io/kubernetes-id'],
      ).toBe(id);
    });
  });

  it("has a Flux Kustomization whose path is an overlay and whose source is the file's GitRepository", () => {
    const docs = parse(
      readFileSync(join(ROOT, 'deploy/flux/homelab-streaming.yaml'), 'utf8'),
    );
    const source = docs.find(d => d.kind === 'GitRepository');
    const kustomization = docs.find(d => d.kind === 'Kustomization');
    expect(kustomization.apiVersion).toBe('kustomize.toolkit.fluxcd.io/v1');
    expect(kustomization.spec.sourceRef).toEqual({
      kind: 'GitRepository',
      name: source.metadata.name,
    });
    expect(overlays).toContain(kustomization.spec.path.replace(/^\.\//, ''));
    expect(kustomization.spec.prune).toBe(true);
  });
});

describe('Dockerfiles', () => {
  it.each([
    ...services.map(s => `services/${s}/Dockerfile`),
    'packages/backend/Dockerfile',
  ])(
    '%s takes its base as a build argument (Node 24 slim by default) and runs as a non-root user',
    file => {
      const text = readFileSync(join(ROOT, file), 'utf8');
      expect(text).toMatch(/^ARG BASE_IMAGE=node:24-[a-z]+-slim$/m);
      expect(text).toMatch(/^FROM \$\{BASE_IMAGE\}$/m);
      const users = [...text.matchAll(/^USER (\S+)$/gm)].map(m => m[1]);
      expect(users.at(-1)).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    },
  );
});
