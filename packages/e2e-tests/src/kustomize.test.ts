import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * The Kubernetes tab finds a service's objects by the label
 * `backstage.io/kubernetes-id`, matched against the entity's annotation of the
 * same name. A typo in either silently empties the tab, so every service's
 * kustomization is built the way `kubectl apply -k` would build it and checked.
 */
const ROOT = resolve(__dirname, '../../..');
const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';
const services = readdirSync(join(ROOT, 'services'), { withFileTypes: true })
  .filter(
    d =>
      d.isDirectory() &&
      existsSync(join(ROOT, 'services', d.name, 'package.json')),
  )
  .map(d => d.name);

type K8sObject = {
  kind: string;
  metadata: {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: any;
};

const WORKLOADS = ['Deployment', 'StatefulSet'];

function build(service: string): K8sObject[] {
  const out = execFileSync(
    KUBECTL,
    ['kustomize', join(ROOT, 'services', service, 'deploy')],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return parseAllDocuments(out)
    .map(d => d.toJS() as K8sObject)
    .filter(Boolean);
}

function kubernetesId(service: string): string | undefined {
  const file = join(ROOT, 'services', service, 'catalog-info.yaml');
  const entities = parseAllDocuments(readFileSync(file, 'utf8')).map(d =>
    d.toJS(),
  );
  const component =
    entities.find(
      e => e?.kind === 'Component' && e?.metadata?.name === service,
    ) ?? entities[0];
  return component?.metadata?.annotations?.['backstage.io/kubernetes-id'];
}

describe('services/*/deploy', () => {
  it('exists for every service', () => {
    expect(services.length).toBeGreaterThan(0);
    expect(
      services.filter(
        s =>
          !existsSync(
            join(ROOT, 'services', s, 'deploy', 'kustomization.yaml'),
          ),
      ),
    ).toEqual([]);
  });

  describe.each(services)('%s', service => {
    const id = () => kubernetesId(service);
    let objects: K8sObject[] = [];
    beforeAll(() => {
      if (
        existsSync(
          join(ROOT, 'services', service, 'deploy', 'kustomization.yaml'),
        )
      )
        objects = build(service);
    });

    it("has a catalog-info.yaml whose backstage.io/kubernetes-id is the service's name", () => {
      expect(id()).toBe(service);
    });

    it('builds with kubectl kustomize into a workload, a Service and a ConfigMap', () => {
      const kinds = objects.map(o => o.kind);
      expect(kinds.some(k => WORKLOADS.includes(k))).toBe(true);
      expect(kinds).toContain('Service');
      expect(kinds).toContain('ConfigMap');
    });

    it('labels the workload, its pod template and the Service for the Kubernetes tab', () => {
      const labelled = objects.filter(o =>
        [...WORKLOADS, 'Service'].includes(o.kind),
      );
      for (const o of labelled) {
        const where = `${o.kind}/${o.metadata.name}`;
        expect({ where, labels: o.metadata.labels }).toEqual({
          where,
          labels: expect.objectContaining({
            'backstage.io/kubernetes-id': id(),
            'app.kubernetes.io/name': expect.any(String),
          }),
        });
      }
      for (const o of labelled.filter(w => WORKLOADS.includes(w.kind))) {
        const where = `${o.kind}/${o.metadata.name}`;
        expect({ where, labels: o.spec.template.metadata.labels }).toEqual({
          where,
          labels: expect.objectContaining({
            'backstage.io/kubernetes-id': id(),
            'app.kubernetes.io/name': expect.any(String),
          }),
        });
      }
    });

    it('gives every workload probes, resources, Prometheus scrape annotations and a Secret reference', () => {
      for (const w of objects.filter(o => WORKLOADS.includes(o.kind))) {
        const pod = w.spec.template;
        expect(pod.metadata.annotations).toEqual(
          expect.objectContaining({
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': expect.stringMatching(/^\d+$/),
          }),
        );
        for (const c of pod.spec.containers) {
          const where = `${w.kind}/${w.metadata.name} container ${c.name}`;
          expect({
            where,
            liveness: Boolean(c.livenessProbe),
            readiness: Boolean(c.readinessProbe),
          }).toEqual({
            where,
            liveness: true,
            readiness: true,
          });
          expect({ where, requests: c.resources?.requests }).toEqual({
            where,
            requests: expect.objectContaining({
              cpu: expect.anything(),
              memory: expect.anything(),
            }),
          });
          expect(c.resources?.limits?.memory).toBeDefined();
        }
        const secretRefs = pod.spec.containers.flatMap((c: any) => [
          ...(c.env ?? []).filter((e: any) => e.valueFrom?.secretKeyRef),
          ...(c.envFrom ?? []).filter((e: any) => e.secretRef),
        ]);
        expect(secretRefs.length).toBeGreaterThan(0);
      }
    });

    it("selects its pods with the Service's selector", () => {
      const workloads = objects.filter(o => WORKLOADS.includes(o.kind));
      for (const svc of objects.filter(o => o.kind === 'Service')) {
        const selector: Record<string, string> = svc.spec.selector ?? {};
        expect(Object.keys(selector).length).toBeGreaterThan(0);
        const matched = workloads.filter(w =>
          Object.entries(selector).every(
            ([k, v]) => w.spec.template.metadata.labels?.[k] === v,
          ),
        );
        expect({ service: svc.metadata.name, matched: matched.length }).toEqual(
          { service: svc.metadata.name, matched: 1 },
        );
      }
    });
  });
});
