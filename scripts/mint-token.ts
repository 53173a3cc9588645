// Mints development JWTs in either auth mode (docs/security.md, Authentication). Local use only.
//   HS256:  npm run token -- --tenant acme [--admin] [--ttl 3600]
//           signs with AUTH_JWT_SECRET, or the dev secret that `npm start` keeps in .infra/dev-jwt-secret.
//   JWKS:   npm run token -- --generate-key .infra/dev-idp-key.json [--alg RS256|ES256|EdDSA]   (prints the JWKS)
//           npm run token -- --serve-jwks .infra/dev-idp-key.json [--port 8099]   (a local issuer: discovery + JWKS)
//           npm run token -- --key .infra/dev-idp-key.json --issuer http://127.0.0.1:8099 --audience billing-api --tenant acme [--admin]
// --key takes the JSON file --generate-key wrote, or a PEM private key (PKCS#8) with --alg and --kid.
// The claims follow AUTH_TENANT_CLAIM, AUTH_ROLES_CLAIM and AUTH_ADMIN_ROLE when they are set, as the service reads them.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { exportJWK, generateKeyPair, importJWK, importPKCS8, type JWK, SignJWT } from 'jose';

const ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];

/** What --generate-key writes: a private JWK that names its key and algorithm. */
interface PrivateJwk extends JWK {
  kid: string;
  alg: string;
}

type Claims = { [name: string]: string | string[] | Claims };
const { values } = parseArgs({
  options: {
    tenant: { type: 'string', default: 'acme' },
    admin: { type: 'boolean', default: false },
    ttl: { type: 'string', default: '3600' },
    sub: { type: 'string', default: 'dev-user' },
    key: { type: 'string' },
    alg: { type: 'string', default: 'ES256' },
    kid: { type: 'string' },
    issuer: { type: 'string' },
    audience: { type: 'string' },
    'generate-key': { type: 'string' },
    'serve-jwks': { type: 'string' },
    port: { type: 'string', default: '8099' },
  },
});

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

if (!ALGORITHMS.includes(values.alg)) fail(`--alg must be one of ${ALGORITHMS.join(', ')}`);
if (values['generate-key']) await generateKey(values['generate-key']);
else if (values['serve-jwks']) serveJwks(values['serve-jwks']);
else console.log(values.key ? await providerToken(values.key) : await localToken());

async function generateKey(file: string): Promise<void> {
  if (existsSync(file)) fail(`${file} exists; remove it to make a new key`);
  const { privateKey } = await generateKeyPair(values.alg, { extractable: true });
  const kid = values.kid ?? `dev-${values.alg.toLowerCase()}-${randomUUID().slice(0, 8)}`;
  const jwk: PrivateJwk = { ...(await exportJWK(privateKey)), kid, alg: values.alg, use: 'sig' };
  writeFileSync(file, `${JSON.stringify(jwk, null, 2)}\n`, { mode: 0o600 });
  console.error(`private key written to ${file}; its JWKS:`);
  console.log(JSON.stringify(jwksOf(jwk), null, 2));
}

/** The public half: a JWK without its private members. */
function jwksOf(privateJwk: PrivateJwk): { keys: JWK[] } {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = privateJwk;
  return { keys: [publicJwk] };
}

function readPrivateJwk(file: string): PrivateJwk {
  const jwk = JSON.parse(readFileSync(file, 'utf8')) as Partial<PrivateJwk>;
  if (!jwk.kid || !jwk.alg || !ALGORITHMS.includes(jwk.alg)) fail(`${file} is not a key --generate-key wrote (kid and alg needed)`);
  return jwk as PrivateJwk;
}

function serveJwks(file: string): void {
  const jwks = JSON.stringify(jwksOf(readPrivateJwk(file)));
  const port = Number(values.port);
  const issuer = `http://127.0.0.1:${port}`;
  const discovery = JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks.json` });
  createServer((request, response) => {
    const routes: Record<string, string | undefined> = { '/.well-known/openid-configuration': discovery, '/jwks.json': jwks };
    const body = routes[request.url ?? ''];
    if (body) response.writeHead(200, { 'content-type': 'application/json' }).end(body);
    else response.writeHead(404).end();
  }).listen(port, '127.0.0.1', () => console.log(`issuer ${issuer} (set AUTH_ISSUER=${issuer}); Ctrl-C stops it`));
}

function claims(): Claims {
  const adminRole = process.env.AUTH_ADMIN_ROLE?.trim() || 'admin';
  const rolesClaim = process.env.AUTH_ROLES_CLAIM?.trim() || 'roles';
  const roles = values.admin ? [adminRole] : [];
  const spaceSeparated = ['scope', 'scp'].includes(rolesClaim.split('.').at(-1) ?? '');
  const result: Claims = { sub: values.sub };
  setClaim(result, process.env.AUTH_TENANT_CLAIM?.trim() || 'tenant_id', values.tenant);
  setClaim(result, rolesClaim, spaceSeparated ? roles.join(' ') : roles);
  return result;
}

/** A dotted path becomes nested objects (realm_access.roles); a namespaced URL claim stays one name. */
function setClaim(target: Claims, path: string, value: string | string[]): void {
  const segments = path.includes('://') ? [path] : path.split('.');
  const name = segments.pop() ?? path;
  let node = target;
  for (const segment of segments) node = (node[segment] ??= {}) as Claims;
  node[name] = value;
}

function ttlSeconds(): number {
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0) fail('--ttl must be a positive number of seconds');
  return ttl;
}

async function localToken(): Promise<string> {
  const secretFile = '.infra/dev-jwt-secret';
  const secret = process.env.AUTH_JWT_SECRET ?? (existsSync(secretFile) ? readFileSync(secretFile, 'utf8').trim() : undefined);
  if (!secret) fail(`No secret: set AUTH_JWT_SECRET, or run \`npm start\` once to create ${secretFile}.`);
  return new SignJWT(claims())
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds()}s`)
    .sign(Buffer.from(secret, 'utf8'));
}

async function providerToken(keyFile: string): Promise<string> {
  const { issuer, audience } = values;
  if (!issuer || !audience) fail('--key needs --issuer and --audience (AUTH_ISSUER and AUTH_AUDIENCE of the service)');
  const text = readFileSync(keyFile, 'utf8');
  const pem = text.includes('-----BEGIN');
  if (pem && !values.kid) fail('a PEM key needs --kid (the kid of its public key in the JWKS) and --alg');
  const jwk = pem ? undefined : readPrivateJwk(keyFile);
  const alg = jwk?.alg ?? values.alg;
  const key = jwk ? await importJWK(jwk, alg) : await importPKCS8(text, alg);
  return new SignJWT(claims())
    .setProtectedHeader({ alg, kid: jwk?.kid ?? values.kid, typ: 'JWT' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds()}s`)
    .sign(key);
}
