import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../src/config/configuration';
import { SERVICE_MAIN, SHIPPED_NODE_ARGS } from './support/standalone/service-process';

const ROOT = join(__dirname, '..');
/** BENCHMARKS.md: the service's peak RSS in the throughput benchmark, as shipped. */
const PEAK_RSS_BYTES = 292e6;
const DEFAULTS = loadConfig({ AUTH_JWT_SECRET: 'x'.repeat(32) });

interface Probe {
  httpGet?: { path: string; port: string };
  exec?: { command: string[] };
}

interface Container {
  env: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  command?: string[];
  startupProbe: Probe;
  livenessProbe: Probe;
  readinessProbe: Probe;
  lifecycle: { preStop: { exec: { command: string[] } } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
}

interface Spec {
  template: { spec: { containers: Container[]; terminationGracePeriodSeconds: number } };
  replicas?: number;
  maxReplicaCount: number;
  triggers: { metadata: Record<string, string> }[];
  maxUnavailable: number;
}

interface Checked {
  rendered: boolean;
  resources: { kind: string; metadata: { name: string; annotations?: Record<string, string> }; spec: Spec }[];
  problems: string[];
}

function check(args: string[], stdin?: string): Checked {
  const run = spawnSync(process.execPath, ['scripts/deploy-manifests.ts', '--json', ...args], { cwd: ROOT, input: stdin, encoding: 'utf8' });
  if (run.stdout.trim() === '') throw new Error(`deploy-manifests printed nothing: ${run.stderr}`);
  return JSON.parse(run.stdout) as Checked;
}

function printed(args: string[]): string {
  return spawnSync(process.execPath, ['scripts/deploy-manifests.ts', '--print', ...args], { cwd: ROOT, encoding: 'utf8' }).stdout;
}

interface ComposeService {
  command: string[];
  stop_grace_period: string;
  healthcheck: { test: string[] };
  depends_on: Record<string, { condition: string }>;
}

const byKind = (checked: Checked, kind: string) => checked.resources.find((r) => r.kind === kind)!;
const container = (workload: Checked['resources'][number]): Container => workload.spec.template.spec.containers[0];
const mebibytes = (quantity: string) => Number(/^(\d+)Mi$/.exec(quantity)![1]) * 2 ** 20;

describe('Kubernetes manifests (Helm chart rendered, validated against Kubernetes and KEDA schemas)', () => {
  let defaults: Checked;

  beforeAll(() => {
    defaults = check([]);
  }, 300_000);

  it('render and validate with no problem: Deployment, Service, PodDisruptionBudget, migration Job, ScaledObject', () => {
    expect(defaults.problems).toEqual([]);
    expect(defaults.resources.map((r) => r.kind).sort()).toEqual(['Deployment', 'Job', 'PodDisruptionBudget', 'ScaledObject', 'Service']);
  });

  it('restart only a process that no longer answers; take a pod out of service while /health is 503', () => {
    const app = container(byKind(defaults, 'Deployment'));
    expect(app.readinessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    for (const probe of [app.livenessProbe, app.startupProbe]) {
      expect(probe.httpGet).toBeUndefined();
      expect(probe.exec?.command.join(' ')).toMatch(/GET \/health .*"HTTP\/1\.1 200 "\* \| "HTTP\/1\.1 503 "\*\) exit 0/);
    }
  });

  it('stop within the grace period: preStop plus the longest in-flight statement fit before SIGKILL', () => {
    const pod = byKind(defaults, 'Deployment').spec.template.spec;
    const preStopSeconds = Number(container(byKind(defaults, 'Deployment')).lifecycle.preStop.exec.command[1]);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStopSeconds + DEFAULTS.database.statementTimeoutMs / 1000);
  });

  it('request at least the benchmark peak RSS and limit above it; secrets from the Secret, never inline', () => {
    const asEnv = check(['--set', 'secret.mountAsFiles=false']);
    expect(asEnv.problems).toEqual([]);
    for (const workload of [byKind(asEnv, 'Deployment'), byKind(asEnv, 'Job')]) {
      const secrets = container(workload).env.filter((e) => ['AUTH_JWT_SECRET', 'DATABASE_URL'].includes(e.name));
      expect(secrets.map((e) => [e.name, e.valueFrom?.secretKeyRef?.key])).toEqual([
        ['AUTH_JWT_SECRET', 'AUTH_JWT_SECRET'],
        ['DATABASE_URL', 'DATABASE_URL'],
      ]);
    }
    const { requests, limits } = container(byKind(defaults, 'Deployment')).resources;
    expect(mebibytes(requests.memory)).toBeGreaterThanOrEqual(PEAK_RSS_BYTES);
    expect(mebibytes(limits.memory)).toBeGreaterThan(mebibytes(requests.memory));
  });

  it('migrate in a Helm pre-install/pre-upgrade hook Job, and let KEDA own the replica count up to the partition count', () => {
    const job = byKind(defaults, 'Job');
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(container(job).command).toContain('migration:run');
    expect(byKind(defaults, 'Deployment').spec.replicas).toBeUndefined();
    const scaling = byKind(defaults, 'ScaledObject').spec;
    expect(scaling.maxReplicaCount).toBeLessThanOrEqual(DEFAULTS.kafka.topicPartitions);
    expect(scaling.triggers[0].metadata).toMatchObject({ topic: DEFAULTS.kafka.topic, consumerGroup: DEFAULTS.kafka.groupId, allowIdleConsumers: 'false' });
    expect(byKind(defaults, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
  });

  it('mount the Secret as files for the <NAME>_FILE variables by default', () => {
    for (const workload of [byKind(defaults, 'Deployment'), byKind(defaults, 'Job')]) {
      const env = container(workload).env.map((e) => e.name);
      expect(env).toEqual(expect.arrayContaining(['AUTH_JWT_SECRET_FILE', 'DATABASE_URL_FILE']));
      expect(env).not.toContain('AUTH_JWT_SECRET');
      expect(env).not.toContain('DATABASE_URL');
    }
  });

  it('configure identity-provider sign-in from auth.*, without AUTH_JWT_SECRET, as a configuration the service accepts', () => {
    const sso = [
      '--set',
      'auth.issuer=https://sso.example.com/realms/billing',
      '--set',
      'auth.audience=billing-api',
      '--set',
      'auth.rolesClaim=realm_access.roles',
    ];
    const rendered = check([...sso, '--set', 'secret.mountAsFiles=false']);
    expect(rendered.problems).toEqual([]);
    const env = container(byKind(rendered, 'Deployment')).env;
    expect(env.map((e) => e.name)).not.toContain('AUTH_JWT_SECRET');
    const plain = Object.fromEntries(env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string]));
    const auth = loadConfig({ ...plain, DATABASE_URL: 'postgres://u@db/billing' }).auth;
    expect(auth.identityProvider).toMatchObject({ issuer: 'https://sso.example.com/realms/billing', audience: 'billing-api', jwksUrl: undefined });
    expect(auth.claims).toEqual({ tenantClaim: 'tenant_id', rolesClaim: 'realm_access.roles', adminRole: 'admin' });
    expect(check(['--set', 'auth.issuer=https://sso.example.com/realms/billing']).problems.join()).toMatch(/auth.audience is required with auth.issuer/);
  });

  it('refuse to render more replicas than partitions, a grace period shorter than the drain, or an unknown setting', () => {
    const tooMany = check(['--set', 'autoscaling.maxReplicas=13']);
    expect(tooMany.rendered).toBe(false);
    expect(tooMany.problems.join()).toMatch(/maxReplicas \(13\) exceeds kafka.topicPartitions \(12\)/);
    expect(check(['--set', 'shutdown.terminationGracePeriodSeconds=30']).problems.join()).toMatch(/must exceed preStopSleepSeconds \+ drainBudgetSeconds/);
    expect(check(['--set', 'autoscalin.maxReplicas=4']).problems.join()).toMatch(/additional properties 'autoscalin' not allowed/);
  });

  it('reject a broken manifest: unknown field, wrong type, missing required field, unknown kafka trigger parameter', () => {
    const good = printed([]);
    const broken = [
      [/readinessProbe:/, 'readinesProbe:', /readinesProbe: unknown field/],
      [/periodSeconds: 10\n/, 'periodSeconds: ten\n', /readinessProbe\/periodSeconds must be integer/],
      [/- name: billing-service\n {10}image:/, '- image:', /containers\/0 must have required property name/],
      [/lagThreshold:/, 'lagTreshold:', /lagTreshold: not a kafka scaler parameter/],
    ] as const;
    expect(check(['--stdin'], good).problems).toEqual([]);
    for (const [pattern, replacement, problem] of broken) {
      expect(check(['--stdin'], good.replace(pattern, replacement)).problems.join('\n')).toMatch(problem);
    }
  });

  it('docker-compose.yml: the same grace period, a /health healthcheck, and migrate before the service', () => {
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, ComposeService> };
    const service = compose.services['billing-service'];
    const grace = byKind(defaults, 'Deployment').spec.template.spec.terminationGracePeriodSeconds;
    expect(service.stop_grace_period).toBe(`${grace}s`);
    expect(service.healthcheck.test.join(' ')).toContain('/health');
    expect(service.depends_on.migrate).toEqual({ condition: 'service_completed_successfully' });
    expect(compose.services.migrate.command).toContain('migration:run');
  });
});

describe('the Node flags production starts the service with', () => {
  it('are the same in npm run start:prod, the Dockerfile CMD and SHIPPED_NODE_ARGS (what the e2e tests, chaos suite and bench run)', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(scripts['start:prod']).toBe(['node', ...SHIPPED_NODE_ARGS, SERVICE_MAIN].join(' '));
    const commands = [...readFileSync(join(ROOT, 'Dockerfile'), 'utf8').matchAll(/^CMD (\[.*\])$/gm)];
    expect(JSON.parse(commands.at(-1)?.[1] ?? 'null')).toEqual(['node', ...SHIPPED_NODE_ARGS, SERVICE_MAIN]);
  });
});
