import { randomUUID } from 'node:crypto';
import { request as httpRequest, Server } from 'node:http';
import { AddressInfo, connect } from 'node:net';
import { INestApplication } from '@nestjs/common';
import { Random, seededRandom } from './support/standalone/hostile-messages';
import { uniqueName } from './support/kafka';
import { startTestApp, TestDatabase } from './support/fixture';
import { adminToken, tenantToken, token, unsignedToken } from './support/tokens';

// Fixed, so a fresh clone runs what CI ran; HTTP_FUZZ_SEED explores others (738611 once found the bare 431).
const SEED = Number(process.env.HTTP_FUZZ_SEED ?? 738_611);
const REQUESTS = 600;

interface Answer {
  status: number;
  body: string;
}

/** Query values as raw, already percent-encoded text: invalid UTF-8 and NUL can only be sent this way. */
function queryValue(rng: Random): string {
  const cursorOf = (xid: unknown, id: unknown) => Buffer.from(JSON.stringify([xid, id])).toString('base64url');
  return rng.pick([
    '',
    '%00',
    'a%00b',
    '%FF',
    '%ED%A0%80',
    '%C0%AF',
    '%F0%9F%98%80'.repeat(rng.int(1, 300)),
    'x'.repeat(rng.int(100, 9_000)),
    '-1',
    '0',
    '1',
    '200',
    '201',
    '1e3',
    '1.5',
    '0x10',
    'null',
    '%E2%80%AE',
    '2026-W01',
    '2026-W01-1',
    '2026-001',
    '2026-02-30',
    '2026-02-28T24:00:00Z',
    '2026-11-25T10:00:00Z',
    '+275760-09-13T00:00:00Z',
    '-000001-01-01T00:00:00Z',
    '0000-01-01',
    '99999-01-01',
    cursorOf('9223372036854775807', randomUUID()),
    cursorOf('9223372036854775808', randomUUID()),
    cursorOf('99999999999999999999', randomUUID()),
    cursorOf(-1, randomUUID()),
    cursorOf('1', 'not-a-uuid'),
    cursorOf('1', `${randomUUID()}\u0000`),
    Buffer.from(Array.from({ length: rng.int(1, 200) }, () => rng.int(0, 255))).toString('base64url'),
    encodeURIComponent(randomUUID()),
  ]);
}

function listQuery(rng: Random): string {
  const names = ['limit', 'cursor', 'order_id', 'created_from', 'created_to', 'tenant_id', 'unknown', 'order_id[]', 'limit[a]', '__proto__[x]'];
  return Array.from({ length: rng.int(0, 5) }, () => `${rng.pick(names)}=${queryValue(rng)}`).join('&');
}

function authorization(rng: Random): string | undefined {
  return rng.pick([
    undefined,
    `Bearer ${tenantToken('fuzz')}`,
    `Bearer ${adminToken()}`,
    `Bearer ${token({ tenant_id: 'bad\u0000tenant', roles: [] })}`,
    `Bearer ${token({ tenant_id: 'x'.repeat(500), roles: ['admin'] })}`,
    `Bearer ${token({ tenant_id: 42, roles: 'admin' })}`,
    `Bearer ${unsignedToken({ tenant_id: 'fuzz', roles: ['admin'] })}`,
    `Bearer ${'a'.repeat(rng.int(1, 6_000))}`,
    'Bearer ',
    'Basic dXNlcjpwYXNz',
    `Bearer ${Buffer.from(Array.from({ length: 60 }, () => rng.int(33, 126))).toString()}`,
  ]);
}

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

function fuzzRequest(rng: Random): FuzzRequest {
  const auth = authorization(rng);
  const headers: Record<string, string> = auth === undefined ? {} : { authorization: auth };
  const kind = rng.int(0, 9);
  if (kind <= 4) return { method: 'GET', path: `/invoices?${listQuery(rng)}`, headers };
  if (kind <= 6) return { method: 'GET', path: `/invoices/${rng.pick([randomUUID(), queryValue(rng), '..%2F..%2Fetc', '%00'])}`, headers };
  if (kind === 7) {
    const contentType = rng.pick([
      'application/json',
      'application/json; charset=latin9',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=utf-16',
    ]);
    const body = rng.pick([
      Buffer.from('{"oops'),
      Buffer.from('{}'),
      Buffer.alloc(rng.int(200_000, 2_000_000), 0x61),
      Buffer.from([0xff, 0xfe, 0x00]),
      Buffer.from(`${'['.repeat(10_000)}`),
      Buffer.from('a=1&a[b]=2'),
    ]);
    return { method: 'POST', path: '/admin/cleanup', headers: { ...headers, 'content-type': contentType }, body };
  }
  if (kind === 8)
    return {
      method: rng.pick(['PUT', 'DELETE', 'PATCH', 'OPTIONS']),
      path: rng.pick(['/invoices', `/invoices/${randomUUID()}`, '/admin/cleanup', '/metrics']),
      headers,
    };
  return { method: 'GET', path: rng.pick(['/metrics', '/docs/json', '/nothing-here', `/${queryValue(rng)}`]), headers };
}

function send(port: number, fuzz: FuzzRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: fuzz.method, path: fuzz.path, headers: fuzz.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(fuzz.body);
  });
}

describe('HTTP fuzz: a client mistake is never a 5xx (real PostgreSQL)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let port: number;

  beforeAll(async () => {
    db = await TestDatabase.create('http_fuzz');
    await db.query(
      `INSERT INTO invoices (event_id, tenant_id, order_id, amount, currency) SELECT gen_random_uuid(), 'fuzz', 'o-' || n, 1.00, 'USD' FROM generate_series(1, 300) n`,
    );
    ({ app } = await startTestApp({ databaseUrl: db.url, topic: uniqueName('unused'), consume: false, env: { LOG_LEVEL: 'fatal' } }));
    await app.listen(0, '127.0.0.1');
    port = ((app.getHttpServer() as Server).address() as AddressInfo).port;
  });

  afterAll(async () => {
    await app.close();
    await db.drop();
  });

  it(`answers ${REQUESTS} seeded hostile requests with no 5xx and the JSON error body (seed ${SEED})`, async () => {
    const rng = seededRandom(SEED);
    const serverErrors: string[] = [];
    const shapeless: string[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const fuzz = fuzzRequest(rng);
      const answer = await send(port, fuzz);
      const what = `${fuzz.method} ${fuzz.path.slice(0, 200)} (${fuzz.headers['content-type'] ?? '-'}, ${fuzz.body?.length ?? 0} bytes) -> ${answer.status} ${answer.body.slice(0, 200)}`;
      if (answer.status >= 500) serverErrors.push(what);
      if (answer.status >= 400 && fuzz.path !== '/metrics' && !hasErrorBody(answer)) shapeless.push(what);
    }
    expect(serverErrors).toEqual([]);
    expect(shapeless).toEqual([]);
  });

  it('answers an oversized body with 413', async () => {
    const answer = await send(port, {
      method: 'POST',
      path: '/admin/cleanup',
      headers: { authorization: `Bearer ${adminToken()}`, 'content-type': 'application/json' },
      body: Buffer.alloc(2_000_000, 0x20),
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toMatchObject({ statusCode: 413, code: 'http.payload_too_large' });
  });

  it("answers a request line past Node's 16 KiB header limit with 431 and the JSON error body", async () => {
    const answer = await send(port, { method: 'GET', path: `/invoices?order_id=${'x'.repeat(20_000)}`, headers: {} });
    expect(answer.status).toBe(431);
    expect(JSON.parse(answer.body)).toEqual({
      statusCode: 431,
      error: 'Request Header Fields Too Large',
      code: 'http.request_header_fields_too_large',
      message: 'the request line and headers exceed 16 KiB',
    });
  });

  it('answers bytes that are not HTTP with 400 and the JSON error body', async () => {
    const answer = await rawExchange(port, 'NOT HTTP AT ALL\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ statusCode: 400, code: 'http.bad_request' });
  });

  it('answers a cursor beyond bigint with 400', async () => {
    const cursor = Buffer.from(JSON.stringify(['9223372036854775808', randomUUID()])).toString('base64url');
    const answer = await send(port, { method: 'GET', path: `/invoices?cursor=${cursor}`, headers: { authorization: `Bearer ${tenantToken('fuzz')}` } });
    expect({ status: answer.status, code: (JSON.parse(answer.body) as { code: string }).code }).toEqual({ status: 400, code: 'request.invalid' });
  });
});

/** What the server writes back to bytes sent as they are, up to its closing the connection. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString()));
    socket.on('error', reject);
  });
}

function hasErrorBody(answer: Answer): boolean {
  try {
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    return body.statusCode === answer.status && typeof body.error === 'string' && typeof body.code === 'string' && typeof body.message === 'string';
  } catch {
    return false;
  }
}
