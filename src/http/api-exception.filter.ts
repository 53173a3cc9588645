import { STATUS_CODES } from 'node:http';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Inject } from '@nestjs/common';
import { Logger } from 'pino';
import { throwError } from 'rxjs';
import { HttpErrorCode } from '../common/error-codes';
import { BillingError } from '../common/errors';
import { judgeDatabaseError, unavailableDatabaseOf } from '../database/database-errors';
import { ROOT_LOGGER } from '../observability/root-logger';

interface JsonResponse {
  status(code: number): { json(body: unknown): void };
  setHeader(name: string, value: string): void;
}

export interface ApiErrorBody {
  statusCode: number;
  error: string;
  code: string;
  message: string;
}

/** The one place an error code becomes an HTTP status; the compiler wants every code the registry marks `http`. */
export const HTTP_STATUS_OF: Readonly<Record<HttpErrorCode, HttpStatus>> = {
  'request.invalid': HttpStatus.BAD_REQUEST,
  'event.rejected_by_database': HttpStatus.BAD_REQUEST,
  'auth.token_missing': HttpStatus.UNAUTHORIZED,
  'auth.token_invalid': HttpStatus.UNAUTHORIZED,
  'auth.token_expired': HttpStatus.UNAUTHORIZED,
  'auth.forbidden': HttpStatus.FORBIDDEN,
  'auth.keys_unavailable': HttpStatus.SERVICE_UNAVAILABLE,
  'database.unavailable': HttpStatus.SERVICE_UNAVAILABLE,
  'invoice.not_found': HttpStatus.NOT_FOUND,
  'outbox.not_found': HttpStatus.NOT_FOUND,
  'retention.purge_in_progress': HttpStatus.CONFLICT,
};

/** When a client should try again, for the answers that say so. */
const RETRY_AFTER_SECONDS: Readonly<Partial<Record<HttpErrorCode, number>>> = { 'database.unavailable': 2 };

/** One shape for every HTTP error: {statusCode, error, code, message}. Kafka handlers keep their own filter. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger: Logger;

  constructor(@Inject(ROOT_LOGGER) root: Logger) {
    this.logger = root.child({ context: 'Http' });
  }

  catch(exception: unknown, host: ArgumentsHost) {
    if (host.getType() !== 'http') return throwError(() => exception);
    const response = host.switchToHttp().getResponse<JsonResponse>();
    const unavailable = unavailableDatabaseOf(exception);
    if (unavailable) {
      this.logger.warn({ error: { message: (exception as Error).message, sqlstate: unavailable.sqlstate } }, 'database unavailable: answered 503');
    }
    const body = this.toBody(unavailable ?? exception);
    const retryAfter = RETRY_AFTER_SECONDS[body.code as HttpErrorCode];
    if (retryAfter !== undefined) response.setHeader('Retry-After', String(retryAfter));
    response.status(body.statusCode).json(body);
  }

  private toBody(thrown: unknown): ApiErrorBody {
    const exception = judgeDatabaseError(thrown);
    const known = billingErrorBody(exception);
    if (known) return known;
    if (exception instanceof HttpException) return body(exception.getStatus(), codeOf(exception.getStatus()), messageOf(exception));
    const clientError = clientErrorOf(exception);
    if (clientError) return body(clientError.status, codeOf(clientError.status), clientError.message);
    this.logger.error(
      { error: exception instanceof Error ? { name: exception.name, message: exception.message, stack: exception.stack } : exception },
      'unhandled error',
    );
    return body(HttpStatus.INTERNAL_SERVER_ERROR, 'internal', 'internal server error');
  }
}

/** Undefined for a code no client should see: such an error is answered as any unexpected one, a logged 500. */
function billingErrorBody(exception: unknown): ApiErrorBody | undefined {
  if (!(exception instanceof BillingError) || !Object.hasOwn(HTTP_STATUS_OF, exception.code)) return undefined;
  return body(HTTP_STATUS_OF[exception.code as HttpErrorCode], exception.code, exception.message);
}

/** Errors of Express' body parser (too large, bad JSON, bad charset) say they are the client's, with a 4xx status. */
function clientErrorOf(exception: unknown): { status: number; message: string } | undefined {
  const candidate = exception as { status?: unknown; expose?: unknown; message?: unknown } | null;
  const status = candidate?.status;
  if (typeof status !== 'number' || status < 400 || status > 499 || candidate?.expose !== true) return undefined;
  return { status, message: typeof candidate.message === 'string' ? candidate.message : statusName(status) };
}

function codeOf(status: number): string {
  return `http.${statusName(status).toLowerCase().replace(/ /g, '_')}`;
}

/** The error body of a status that no more specific code describes (`http.<status name>`). */
export function statusErrorBody(status: number, message: string): ApiErrorBody {
  return body(status, codeOf(status), message);
}

function body(statusCode: number, code: string, message: string): ApiErrorBody {
  return { statusCode, error: statusName(statusCode), code, message };
}

function statusName(status: number): string {
  const name = HttpStatus[status] as string | undefined;
  if (name) return name.toLowerCase().replace(/(^|_)(\w)/g, (_m, sep: string, c: string) => (sep ? ' ' : '') + c.toUpperCase());
  return STATUS_CODES[status] ?? 'Error';
}

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}
