import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Inject } from '@nestjs/common';
import { Logger } from 'pino';
import { throwError } from 'rxjs';
import { AppError } from '../common/errors';
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
      response.setHeader('Retry-After', String(unavailable.retryAfterSeconds));
    }
    const body = this.toBody(unavailable ?? exception);
    response.status(body.statusCode).json(body);
  }

  private toBody(thrown: unknown): ApiErrorBody {
    const exception = judgeDatabaseError(thrown);
    if (exception instanceof AppError) return body(exception.httpStatus, exception.code, exception.message);
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

function body(statusCode: number, code: string, message: string): ApiErrorBody {
  return { statusCode, error: statusName(statusCode), code, message };
}

function statusName(status: number): string {
  const name = HttpStatus[status] as string | undefined;
  return name ? name.toLowerCase().replace(/(^|_)(\w)/g, (_m, sep: string, c: string) => (sep ? ' ' : '') + c.toUpperCase()) : 'Error';
}

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}
