// Mints a development JWT: npm run token -- --tenant acme [--admin] [--ttl 3600]
// Signs with AUTH_JWT_SECRET, or the dev secret that `npm start` keeps in .infra/dev-jwt-secret.
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import jwt from 'jsonwebtoken';

const { values } = parseArgs({
  options: {
    tenant: { type: 'string', default: 'acme' },
    admin: { type: 'boolean', default: false },
    ttl: { type: 'string', default: '3600' },
  },
});

const secretFile = '.infra/dev-jwt-secret';
const secret = process.env.AUTH_JWT_SECRET ?? (existsSync(secretFile) ? readFileSync(secretFile, 'utf8').trim() : undefined);
if (!secret) {
  console.error(`No secret: set AUTH_JWT_SECRET, or run \`npm start\` once to create ${secretFile}.`);
  process.exit(1);
}
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) {
  console.error('--ttl must be a positive number of seconds');
  process.exit(1);
}
const roles = values.admin ? ['admin'] : [];
console.log(jwt.sign({ tenant_id: values.tenant, roles }, secret, { algorithm: 'HS256', expiresIn: ttl }));
