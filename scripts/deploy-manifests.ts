// Renders the Helm chart in deploy/helm and validates every resource against the Kubernetes and KEDA schemas.
//   node scripts/deploy-manifests.ts [--set key=value]...    render, validate, report (exit 1 on any problem)
//   node scripts/deploy-manifests.ts --print [--set ...]      print the rendered manifests
//   node scripts/deploy-manifests.ts --stdin                  validate manifests read from stdin
//   --json                                                    print { rendered, resources, problems } instead
//
// Rendering is `helm template` through helm-java (Helm's own Go code as a native library on Maven Central; no
// Helm binary is installable from the registries reachable here). Validation uses the schemas generated from a
// current Kubernetes release's OpenAPI spec (kubernetes-models) and from KEDA's CRDs (@kubernetes-models/keda),
// plus the unknown-field check the API server's strict field validation applies (a typo such as
// `readinesProbe` would otherwise pass the schema and be silently dropped), plus the kafka trigger's
// documented metadata keys (KEDA's CRD leaves trigger metadata free-form).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CHART = join(ROOT, 'deploy', 'helm', 'billing-service');
const RENDERER = join(ROOT, 'deploy', 'render');
const CLASSPATH_FILE = join(ROOT, '.infra', 'deploy-render.classpath');
export const KUBE_VERSION = '1.34.0';

/** A Kubernetes resource as parsed from YAML: only the fields read here are typed. */
interface Resource {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
  spec?: { triggers?: { type?: string; metadata?: Record<string, string> }[] };
}

interface Rendered {
  ok: boolean;
  manifests: string;
  error: string;
}

type ModelClass = new (resource: Resource) => { validate(): void };

interface ModelTypes {
  checker: ts.TypeChecker;
  types: Map<string, ts.Type>;
}

/** apiVersion/kind -> [module, class, interface] of the model that carries its schema. */
const MODELS: Record<string, readonly [module: string, model: string, iface: string]> = {
  'apps/v1/Deployment': ['kubernetes-models/apps/v1/Deployment', 'Deployment', 'IDeployment'],
  'batch/v1/Job': ['kubernetes-models/batch/v1/Job', 'Job', 'IJob'],
  'v1/Service': ['kubernetes-models/v1/Service', 'Service', 'IService'],
  'policy/v1/PodDisruptionBudget': ['kubernetes-models/policy/v1/PodDisruptionBudget', 'PodDisruptionBudget', 'IPodDisruptionBudget'],
  'keda.sh/v1alpha1/ScaledObject': ['@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject', 'ScaledObject', 'IScaledObject'],
};

// https://keda.sh/docs/latest/scalers/apache-kafka/ (parameter list)
const KAFKA_TRIGGER_KEYS = new Set([
  'bootstrapServers',
  'consumerGroup',
  'topic',
  'lagThreshold',
  'activationLagThreshold',
  'offsetResetPolicy',
  'allowIdleConsumers',
  'scaleToZeroOnInvalidOffset',
  'excludePersistentLag',
  'limitToPartitionsWithLag',
  'ensureEvenDistributionOfPartitions',
  'version',
  'partitionLimitation',
  'sasl',
  'saslTokenProvider',
  'awsRegion',
  'tls',
  'unsafeSsl',
]);
const KAFKA_BOOLEAN_KEYS = [
  'allowIdleConsumers',
  'scaleToZeroOnInvalidOffset',
  'excludePersistentLag',
  'limitToPartitionsWithLag',
  'ensureEvenDistributionOfPartitions',
  'unsafeSsl',
];

/** helm-java's classpath, resolved by Maven once (downloads from Maven Central on a fresh machine). */
function classpath(): string {
  if (existsSync(CLASSPATH_FILE) && statSync(CLASSPATH_FILE).mtimeMs > statSync(join(RENDERER, 'pom.xml')).mtimeMs) {
    const cached = readFileSync(CLASSPATH_FILE, 'utf8').trim();
    if (cached.split(':').every((jar) => existsSync(jar))) return cached;
  }
  execFileSync('mvn', ['-q', '-B', '-f', join(RENDERER, 'pom.xml'), 'dependency:build-classpath', `-Dmdep.outputFile=${CLASSPATH_FILE}`], { stdio: 'pipe' });
  return readFileSync(CLASSPATH_FILE, 'utf8').trim();
}

/**
 * helm-java returns the release manifest without hooks (the helm CLI prints both), so the chart is rendered
 * from a copy whose hook annotation is renamed, and renamed back in the output: the migration Job is
 * rendered and validated like every other resource, with its hook annotations as Helm would apply them.
 */
export function render(sets: readonly string[] = []): Rendered {
  const copy = mkdtempSync(join(tmpdir(), 'billing-chart-'));
  try {
    cpSync(CHART, copy, { recursive: true });
    for (const file of readdirSync(join(copy, 'templates'))) {
      const path = join(copy, 'templates', file);
      writeFileSync(path, readFileSync(path, 'utf8').replaceAll('helm.sh/hook:', 'billing.test/helm-hook:'));
    }
    const args = ['-cp', classpath(), join(RENDERER, 'HelmTemplate.java'), copy, KUBE_VERSION, ...sets.flatMap((s) => ['--set', s])];
    const java = spawnSync('java', args, { encoding: 'utf8' });
    return { ok: java.status === 0, manifests: java.stdout.replaceAll('billing.test/helm-hook:', 'helm.sh/hook:'), error: java.stderr.trim() };
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

let typeChecker: ModelTypes | undefined;

/** The TypeScript types of the models (generated from the same OpenAPI/CRD schemas) give every known field. */
function modelTypes(): ModelTypes {
  if (typeChecker) return typeChecker;
  const entry = join(ROOT, 'scripts', 'deploy-manifest-kinds.virtual.ts');
  const text = Object.entries(MODELS)
    .map(([key, [module, , iface]], i) => `import type { ${iface} as M${i} } from '${module}';\nexport type T${i} = M${i}; // ${key}`)
    .join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2022,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, language, ...rest) => (file === entry ? ts.createSourceFile(file, text, language) : getSourceFile(file, language, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (file) => file === entry || fileExists(file);
  const program = ts.createProgram([entry], options, host);
  const checker = program.getTypeChecker();
  const aliases = program.getSourceFile(entry)?.statements.filter(ts.isTypeAliasDeclaration) ?? [];
  const types = new Map(Object.keys(MODELS).map((key, i) => [key, checker.getTypeAtLocation(aliases[i].name)]));
  typeChecker = { checker, types };
  return typeChecker;
}

function objectPart(checker: ts.TypeChecker, type: ts.Type): ts.Type | undefined {
  const t = checker.getNonNullableType(type);
  if (!t.isUnion()) return t;
  const objects = t.types.filter((member) => member.flags & ts.TypeFlags.Object);
  return objects.length === 1 ? objects[0] : undefined;
}

function unknownFields(checker: ts.TypeChecker, value: unknown, type: ts.Type, path: string, found: string[]): void {
  if (value === null || typeof value !== 'object') return;
  const t = objectPart(checker, type);
  if (!t || t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
  if (Array.isArray(value)) {
    const element = checker.getIndexTypeOfType(t, ts.IndexKind.Number);
    if (element) value.forEach((v, i) => unknownFields(checker, v, element, `${path}[${i}]`, found));
    return;
  }
  const mapValue = checker.getIndexTypeOfType(t, ts.IndexKind.String);
  for (const [key, v] of Object.entries(value)) {
    const property = t.getProperty(key);
    if (property) unknownFields(checker, v, checker.getTypeOfSymbol(property), `${path}.${key}`, found);
    else if (mapValue) unknownFields(checker, v, mapValue, `${path}.${key}`, found);
    else found.push(`${path}.${key}: unknown field`);
  }
}

function kafkaTriggerProblems(scaledObject: Resource, where: string): string[] {
  const problems: string[] = [];
  for (const [i, trigger] of (scaledObject.spec?.triggers ?? []).entries()) {
    if (trigger.type !== 'kafka') continue;
    const metadata = trigger.metadata ?? {};
    const at = `${where}.spec.triggers[${i}].metadata`;
    for (const key of Object.keys(metadata)) if (!KAFKA_TRIGGER_KEYS.has(key)) problems.push(`${at}.${key}: not a kafka scaler parameter`);
    for (const key of ['bootstrapServers', 'consumerGroup', 'topic', 'lagThreshold'])
      if (!metadata[key]) problems.push(`${at}.${key}: required by this deployment`);
    if (metadata.lagThreshold !== undefined && !/^[1-9]\d*$/.test(String(metadata.lagThreshold)))
      problems.push(`${at}.lagThreshold: must be a positive integer`);
    if (metadata.offsetResetPolicy !== undefined && !['earliest', 'latest'].includes(metadata.offsetResetPolicy))
      problems.push(`${at}.offsetResetPolicy: earliest or latest`);
    for (const key of KAFKA_BOOLEAN_KEYS)
      if (metadata[key] !== undefined && !['true', 'false'].includes(metadata[key])) problems.push(`${at}.${key}: "true" or "false"`);
  }
  return problems;
}

/** Every problem of every resource in a multi-document YAML text; an empty list means valid. */
export async function validate(text: string): Promise<{ resources: Resource[]; problems: string[] }> {
  const problems: string[] = [];
  const resources: Resource[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) {
      problems.push(...document.errors.map((e) => `YAML: ${e.message}`));
      continue;
    }
    const resource = document.toJS() as Resource | null;
    if (resource === null) continue;
    resources.push(resource);
    const key = `${resource.apiVersion}/${resource.kind}`;
    const where = `${resource.kind}/${resource.metadata?.name}`;
    const model: (typeof MODELS)[string] | undefined = MODELS[key];
    if (!model) {
      problems.push(`${where}: no schema for ${key}`);
      continue;
    }
    const Model = ((await import(model[0])) as Record<string, ModelClass>)[model[1]];
    try {
      new Model(resource).validate();
    } catch (error) {
      problems.push(`${where}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const { checker, types } = modelTypes();
    const type = types.get(key);
    if (type) unknownFields(checker, resource, type, where, problems);
    if (resource.kind === 'ScaledObject') problems.push(...kafkaTriggerProblems(resource, where));
  }
  if (resources.length === 0) problems.push('no resources');
  return { resources, problems };
}

async function main(argv: readonly string[]): Promise<void> {
  const sets = argv.flatMap((arg, i) => (argv[i - 1] === '--set' ? [arg] : []));
  let rendered: Rendered;
  if (argv.includes('--stdin')) {
    rendered = { ok: true, manifests: readFileSync(0, 'utf8'), error: '' };
  } else {
    rendered = render(sets);
  }
  if (argv.includes('--print')) {
    process.stdout.write(rendered.ok ? rendered.manifests : '');
    if (!rendered.ok) console.error(rendered.error);
    process.exit(rendered.ok ? 0 : 1);
  }
  const { resources, problems } = rendered.ok ? await validate(rendered.manifests) : { resources: [], problems: [`render: ${rendered.error}`] };
  if (argv.includes('--json')) {
    console.log(JSON.stringify({ rendered: rendered.ok, resources, problems }));
  } else {
    for (const problem of problems) console.error(problem);
    if (problems.length === 0)
      console.log(
        `${resources.length} resources valid (kubernetes-models and KEDA CRD schemas, rendered for Kubernetes ${KUBE_VERSION}): ${resources.map((r) => r.kind).join(', ')}`,
      );
  }
  process.exit(problems.length === 0 ? 0 : 1);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
