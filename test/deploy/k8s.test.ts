import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { containersOf, K8S_DIR, render, type Resource } from './kustomize.ts';
import { margExposedNames, metricNamesIn } from './metric-names.ts';

// Issue 16: every manifest of every overlay validates against the Kubernetes JSON schemas
// (kubernetes-models 4.5: Kubernetes 1.3x; KEDA's from @kubernetes-models/keda), every patch
// targets a resource of the base, and what the manifests promise (non-root read-only pods,
// probes, limits, HPA at 70 % CPU / 80 % memory, KEDA on Marg's queue depth, selectors that
// select something) holds after rendering.

const OVERLAYS = ['dev', 'staging', 'production'] as const;

async function validate(resource: Resource): Promise<void> {
  const pkg = resource.apiVersion.startsWith('keda.sh/') ? '@kubernetes-models/keda' : 'kubernetes-models';
  const module = (await import(`${pkg}/${resource.apiVersion}/${resource.kind}`)) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = module[resource.kind];
  assert.ok(Model, `no schema for ${resource.apiVersion} ${resource.kind}`);
  new Model(resource).validate();
}

const matches = (selector: Record<string, string>, labels: Record<string, string> | undefined) => Object.entries(selector).every(([k, v]) => labels?.[k] === v);

describe('deploy/k8s', () => {
  for (const overlay of OVERLAYS) {
    describe(`overlay ${overlay}`, () => {
      const resources = render(join(K8S_DIR, 'overlays', overlay));
      const byKind = (kind: string) => resources.filter((r) => r.kind === kind);
      const templates = [...byKind('Deployment'), ...byKind('Job')].map((r) => ({ r, labels: (r as any).spec.template.metadata.labels as Record<string, string> }));

      it('renders, and every manifest validates against its schema', async () => {
        assert.ok(resources.length >= 15, `${resources.length} resources`);
        for (const r of resources) {
          await validate(r).catch((error: Error) => assert.fail(`${r.kind}/${r.metadata.name}: ${error.message}`));
          if (r.kind !== 'Namespace') assert.equal(r.metadata.namespace, overlay === 'production' ? 'marg' : `marg-${overlay}`);
        }
        const names = resources.map((r) => `${r.kind}/${r.metadata.name}`);
        assert.equal(new Set(names).size, names.length, 'no resource twice');
        for (const kind of ['Deployment', 'Service', 'Ingress', 'ConfigMap', 'Job', 'PodDisruptionBudget', 'NetworkPolicy', 'HorizontalPodAutoscaler']) assert.ok(byKind(kind).length > 0, kind);
        assert.deepEqual(byKind('Deployment').map((d) => d.metadata.name).sort(), ['marg-realtime', 'marg-scheduler', 'marg-web', 'marg-worker']);
      });

      it('pods: non-root, read-only root filesystem, no privilege escalation, requests and limits, the image of this overlay, secrets as files', () => {
        for (const { r } of templates) {
          const pod = (r as any).spec.template.spec;
          assert.equal(pod.securityContext.runAsNonRoot, true, r.metadata.name);
          assert.equal(pod.automountServiceAccountToken ?? false, false);
          for (const c of containersOf(r)) {
            assert.equal(c.securityContext.readOnlyRootFilesystem, true, `${r.metadata.name}/${c.name}`);
            assert.equal(c.securityContext.allowPrivilegeEscalation, false);
            assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
            for (const key of ['cpu', 'memory']) assert.ok(c.resources.requests[key] && c.resources.limits[key], `${r.metadata.name}: ${key}`);
            assert.match(c.image, new RegExp(`^registry\\.example\\.com/marg:${overlay === 'production' ? '1\\.0\\.0' : overlay}$`));
            const mounts = (c.volumeMounts as { mountPath: string }[]).map((m) => m.mountPath);
            assert.ok(mounts.includes('/tmp') && mounts.includes('/run/secrets/marg'), `${r.metadata.name}: writable /tmp and the secrets`);
          }
        }
        const config = byKind('ConfigMap').find((c) => c.metadata.name === 'marg-config') as any;
        for (const [name, value] of Object.entries(config.data as Record<string, string>)) {
          if (name.endsWith('_FILE')) assert.match(value, /^\/run\/secrets\/marg\//);
          assert.ok(!/PASSWORD$|SECRET$|^APP_KEY$/.test(name), `${name} belongs in the Secret`);
        }
      });

      it('probes: the web role is live on /health/live and ready on /health/ready; the roles run the commands of the CLI', () => {
        const web = containersOf(byKind('Deployment').find((d) => d.metadata.name === 'marg-web')!)[0]!;
        assert.equal(web.livenessProbe.httpGet.path, '/health/live');
        assert.equal(web.readinessProbe.httpGet.path, '/health/ready');
        const args = Object.fromEntries(templates.map(({ r }) => [r.metadata.name, containersOf(r)[0]!.args[0]]));
        assert.deepEqual(args, { 'marg-migrate': 'migrate', 'marg-web': 'serve', 'marg-worker': 'work', 'marg-scheduler': 'schedule', 'marg-realtime': 'realtime' });
      });

      it('selectors select pods, ports and scale targets exist', () => {
        for (const r of [...byKind('Service'), ...byKind('PodDisruptionBudget'), ...byKind('NetworkPolicy')]) {
          const spec = (r as any).spec;
          const selector = (r.kind === 'Service' ? spec.selector : r.kind === 'NetworkPolicy' ? spec.podSelector.matchLabels : spec.selector.matchLabels) as Record<string, string>;
          assert.ok(templates.some((t) => matches(selector, t.labels)), `${r.kind}/${r.metadata.name} selects no pod`);
        }
        for (const s of byKind('Service')) {
          const pods = templates.filter((t) => matches((s as any).spec.selector, t.labels));
          for (const port of (s as any).spec.ports) {
            assert.ok(pods.every(({ r }) => containersOf(r).some((c) => c.ports?.some((p: { name: string }) => p.name === port.targetPort))), `${s.metadata.name}: port ${port.targetPort}`);
          }
        }
        for (const ingress of byKind('Ingress')) {
          for (const rule of (ingress as any).spec.rules) {
            for (const path of rule.http.paths) assert.ok(byKind('Service').some((s) => s.metadata.name === path.backend.service.name), path.backend.service.name);
          }
        }
        const deployments = new Set(byKind('Deployment').map((d) => d.metadata.name));
        for (const r of [...byKind('HorizontalPodAutoscaler'), ...byKind('ScaledObject')]) assert.ok(deployments.has((r as any).spec.scaleTargetRef.name), r.metadata.name);
      });

      it("autoscaling: HPA on CPU 70 % and memory 80 % (the guide's), KEDA scaling workers on a metric Marg exports", async () => {
        for (const hpa of byKind('HorizontalPodAutoscaler')) {
          const targets = Object.fromEntries((hpa as any).spec.metrics.map((m: any) => [m.resource.name, m.resource.target.averageUtilization]));
          assert.deepEqual(targets, { cpu: 70, memory: 80 });
        }
        const scaled = byKind('ScaledObject');
        if (overlay === 'dev') return assert.equal(scaled.length, 0, 'dev runs without KEDA');
        assert.equal(scaled.length, 1);
        const prometheus = (scaled[0] as any).spec.triggers.find((t: any) => t.type === 'prometheus');
        const exposed = await margExposedNames();
        for (const name of metricNamesIn(prometheus.metadata.query)) assert.ok(exposed.has(name), `${name} is not a metric Marg exports`);
        assert.ok(!byKind('HorizontalPodAutoscaler').some((h) => (h as any).spec.scaleTargetRef.name === 'marg-worker'), 'KEDA owns the worker HPA');
      });
    });
  }

  it('a patch that targets no resource of the base fails the render', () => {
    assert.throws(() => render(join(import.meta.dirname, '../fixtures/k8s-bad-overlay')), /patch targets Deployment\/marg-nope/);
  });
});
