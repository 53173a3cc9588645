import { readFileSync } from 'node:fs';
import { BillingError } from '../common/errors';

/**
 * What each sslmode does here. node-postgres has no fallback to plain text, so libpq's allow and prefer are refused
 * rather than silently read as something else; require verifies like verify-full (node-postgres' own default
 * reading, stricter than libpq's), because no setting of this service turns certificate checks off.
 */
export const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** Every parameter node-postgres would read from the URL itself and let override the TLS options we build. */
const TLS_PARAMETERS = ['sslmode', 'sslrootcert', 'sslcert', 'sslkey'];
const UNSUPPORTED_PARAMETERS = ['ssl', 'uselibpqcompat', 'sslpassword', 'sslnegotiation'];

/** The subset of tls.connect options both node-postgres and TypeORM accept. */
export interface PostgresTls {
  rejectUnauthorized: true;
  ca?: string;
  cert?: string;
  key?: string;
  checkServerIdentity?: () => undefined;
}

export interface PostgresConnection {
  /** DATABASE_URL without its TLS parameters: node-postgres would otherwise parse them again over ours. */
  url: string;
  ssl: false | PostgresTls;
  sslmode: SslMode | undefined;
}

/** A DATABASE_URL the service cannot honour; the message leaves the URL (and its password) out. */
export class DatabaseUrlError extends BillingError {
  readonly code = 'config.database_url';
}

export function postgresConnection(url: string, readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): PostgresConnection {
  const parsed = new URL(url);
  const params = parsed.searchParams;
  const unsupported = UNSUPPORTED_PARAMETERS.find((name) => params.has(name));
  if (unsupported) throw new DatabaseUrlError(`parameter ${unsupported} is not supported; use sslmode (${SSL_MODES.join(', ')})`);
  const sslmode = readSslMode(params.get('sslmode'));
  const file = (name: string) => readParameterFile(params, name, readFile);
  const ca = params.get('sslrootcert') === 'system' ? undefined : file('sslrootcert');
  const [cert, key] = [file('sslcert'), file('sslkey')];
  if ((cert === undefined) !== (key === undefined)) throw new DatabaseUrlError('sslcert and sslkey must be given together');
  const plain = sslmode === undefined || sslmode === 'disable';
  if (plain && TLS_PARAMETERS.some((name) => name !== 'sslmode' && params.has(name))) {
    throw new DatabaseUrlError('sslrootcert, sslcert and sslkey need sslmode=require, verify-ca or verify-full');
  }
  for (const name of TLS_PARAMETERS) params.delete(name);
  if (plain) return { url: parsed.toString(), ssl: false, sslmode };
  const verifyChainOnly = sslmode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {};
  return { url: parsed.toString(), sslmode, ssl: { rejectUnauthorized: true, ca, cert, key, ...verifyChainOnly } };
}

function readSslMode(raw: string | null): SslMode | undefined {
  if (raw === null) return undefined;
  if ((SSL_MODES as readonly string[]).includes(raw)) return raw as SslMode;
  const why = raw === 'allow' || raw === 'prefer' ? ' (node-postgres cannot fall back to plain text)' : '';
  throw new DatabaseUrlError(`sslmode must be one of ${SSL_MODES.join(', ')}, got "${raw}"${why}`);
}

function readParameterFile(params: URLSearchParams, name: string, readFile: (path: string) => string): string | undefined {
  const path = params.get(name);
  if (!path) return undefined;
  try {
    return readFile(path);
  } catch (error) {
    throw new DatabaseUrlError(`${name} cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
}
