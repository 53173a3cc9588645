import { ArgumentsHost, HttpException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { DatabaseError } from 'pg';
import { pino } from 'pino';
import { lastValueFrom } from 'rxjs';
import { QueryFailedError } from 'typeorm';
import { ExpiredTokenError, ForbiddenError, InvalidTokenError, MissingTokenError, SigningKeysUnavailableError } from '../auth/auth.errors';
import { ERROR_CODES, ErrorCode } from '../common/error-codes';
import { BillingError, EventConflictError, InvalidRequestError, PoisonMessageError } from '../common/errors';
import { IncompleteSendError } from '../kafka/complete-send';
import { ClaimRaceError } from '../idempotency/processed-events.repository';
import { InvoiceNotFoundError } from '../invoices/invoice-queries.service';
import { OutboxPublishTimeoutError } from '../outbox/outbox.relay';
import { OutboxRowNotFoundError } from '../outbox/outbox.service';
import { PurgeInProgressError } from '../retention/retention.service';
import { READ_TIMEOUT_MESSAGE } from '../database/bounded-pg-client';
import { ApiErrorBody, ApiExceptionFilter, HTTP_STATUS_OF } from './api-exception.filter';
import { jsonLinesSink } from '../../test/support/log-lines';

interface Answer {
  status?: number;
  body?: ApiErrorBody;
  headers: Record<string, string>;
  logs: Record<string, unknown>[];
}

function answerTo(exception: unknown): Answer {
  const answer: Answer = { headers: {}, logs: [] };
  const response = {
    status: (code: number) => ({ json: (body: ApiErrorBody) => Object.assign(answer, { status: code, body }) }),
    setHeader: (name: string, value: string) => void (answer.headers[name] = value),
  };
  filterLoggingTo(answer.logs).catch(exception, hostOf('http', response));
  return answer;
}

function filterLoggingTo(lines: Record<string, unknown>[]): ApiExceptionFilter {
  return new ApiExceptionFilter(pino({ level: 'debug' }, jsonLinesSink(lines).sink));
}

function hostOf(type: string, response: object): ArgumentsHost {
  const http = { getRequest: () => ({}), getResponse: () => response, getNext: () => undefined };
  return { getType: () => type, switchToHttp: () => http } as unknown as ArgumentsHost;
}

const pgError = (code: string) => Object.assign(new DatabaseError(`pg ${code}`, 0, 'error'), { code });
const queryFailed = (code: string) => new QueryFailedError('SELECT 1', [], pgError(code));

describe('ApiExceptionFilter', () => {
  it.each<[string, BillingError, number, string]>([
    ['a request the client can fix', new InvalidRequestError('bad cursor'), 400, 'Bad Request'],
    ['a missing token', new MissingTokenError('no token'), 401, 'Unauthorized'],
    ['an invalid token', new InvalidTokenError('bad token'), 401, 'Unauthorized'],
    ['an expired token', new ExpiredTokenError('token expired'), 401, 'Unauthorized'],
    ['a missing role', new ForbiddenError('admin only'), 403, 'Forbidden'],
    ['no signing keys yet', new SigningKeysUnavailableError('no keys yet'), 503, 'Service Unavailable'],
    ['an unknown invoice', new InvoiceNotFoundError('no such invoice'), 404, 'Not Found'],
    ['an unknown outbox row', new OutboxRowNotFoundError('no such row'), 404, 'Not Found'],
    ['a purge already running', new PurgeInProgressError('try again later'), 409, 'Conflict'],
  ])('answers %s with its status and code', (_what, error, statusCode, name) => {
    const answer = answerTo(error);
    expect(answer.status).toBe(statusCode);
    expect(answer.body).toEqual({ statusCode, error: name, code: error.code, message: error.message });
    expect(answer.headers).toEqual({});
  });

  it.each([
    ['a lock timeout', queryFailed('55P03')],
    ['a statement timeout', queryFailed('57014')],
    ['a deadlock', queryFailed('40P01')],
    ['a shutdown', pgError('57P01')],
    ['an exhausted pool', new Error('timeout exceeded when trying to connect')],
    ['a connect timeout', new Error('Connection terminated due to connection timeout')],
    ['a dropped connection', new Error('Connection terminated unexpectedly')],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a broken pipe', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })],
    ['a query read timeout', new Error(READ_TIMEOUT_MESSAGE)],
    ['a query on a closed connection', new QueryFailedError('SELECT 1', [], new Error('Client was closed and is not queryable'))],
  ])('answers %s of the database with 503 and Retry-After: 2, and logs a warning', (_what, error) => {
    const answer = answerTo(error);
    expect({ status: answer.status, headers: answer.headers, body: answer.body }).toEqual({
      status: 503,
      headers: { 'Retry-After': '2' },
      body: { statusCode: 503, error: 'Service Unavailable', code: 'database.unavailable', message: 'the database is busy or unreachable; retry later' },
    });
    expect(answer.logs).toEqual([expect.objectContaining({ level: 40, msg: 'database unavailable: answered 503' })]);
  });

  it.each([['22P02'], ['23505'], ['54000']])('answers data PostgreSQL refuses (SQLSTATE %s) with 400, the client’s fault', (code) => {
    const answer = answerTo(queryFailed(code));
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ statusCode: 400, error: 'Bad Request', code: 'event.rejected_by_database', message: `${code}: pg ${code}` });
    expect(answer.headers).toEqual({});
  });

  it('answers Nest and body-parser errors with their own 4xx and an http.* code', () => {
    expect(answerTo(new NotFoundException('Cannot GET /nope')).body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      code: 'http.not_found',
      message: 'Cannot GET /nope',
    });
    expect(answerTo(new PayloadTooLargeException()).body).toMatchObject({ statusCode: 413, code: 'http.payload_too_large' });
    const bodyParser = Object.assign(new Error('request entity too large'), { status: 413, expose: true });
    expect(answerTo(bodyParser).body).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      code: 'http.payload_too_large',
      message: 'request entity too large',
    });
    expect(answerTo(new HttpException('teapot', 418)).body).toMatchObject({ statusCode: 418, code: 'http.i_am_a_teapot' });
  });

  it.each<[string, unknown]>([
    ['an unexpected error', new TypeError('x is undefined')],
    ['a code no client should see (Kafka only)', new PoisonMessageError('invalid_json', 'not JSON')],
    ['a conflict between events', new EventConflictError('e-1')],
    ['a retriable fault of the outbox', new OutboxPublishTimeoutError(5000)],
    ['a claim race', new ClaimRaceError('claim vanished')],
    ['a Kafka send', new IncompleteSendError('partition 3 unwritten')],
    ['a 5xx that says it is the client’s', Object.assign(new Error('boom'), { status: 502, expose: true })],
  ])('answers %s with a logged 500 that tells nothing', (_what, error) => {
    const answer = answerTo(error);
    expect(answer.body).toEqual({ statusCode: 500, error: 'Internal Server Error', code: 'internal', message: 'internal server error' });
    expect(answer.logs).toEqual([expect.objectContaining({ level: 50, msg: 'unhandled error' })]);
  });

  it('leaves what is not HTTP to the transport that raised it', async () => {
    const error = new PoisonMessageError('invalid_json', 'not JSON');
    const rethrown = filterLoggingTo([]).catch(error, hostOf('rpc', {}));
    await expect(lastValueFrom(rethrown as never)).rejects.toBe(error);
  });
});

describe('HTTP_STATUS_OF', () => {
  const codes = Object.keys(ERROR_CODES) as ErrorCode[];

  it('maps exactly the codes the registry says a client can receive', () => {
    expect(Object.keys(HTTP_STATUS_OF).sort()).toEqual(codes.filter((code) => ERROR_CODES[code].http).sort());
  });

  it('answers a retriable code with 409 or a 5xx, and a code the client must fix with another 4xx', () => {
    const tryAgainLater = (status: number) => status === 409 || status >= 500;
    for (const [code, status] of Object.entries<number>(HTTP_STATUS_OF)) {
      expect({ code, status, tryAgainLater: tryAgainLater(status) }).toEqual({ code, status, tryAgainLater: ERROR_CODES[code as ErrorCode].retriable });
    }
  });
});
