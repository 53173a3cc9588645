import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { throwError } from 'rxjs';
import { AppError } from '../common/errors';

/** The HTTP status of each stable error code a client can see. */
const STATUS_BY_CODE: Readonly<Record<string, HttpStatus>> = {
  'request.invalid': HttpStatus.BAD_REQUEST,
  'auth.token_missing': HttpStatus.UNAUTHORIZED,
  'auth.token_invalid': HttpStatus.UNAUTHORIZED,
  'auth.token_expired': HttpStatus.UNAUTHORIZED,
  'auth.forbidden': HttpStatus.FORBIDDEN,
  'invoice.not_found': HttpStatus.NOT_FOUND,
  'retention.purge_in_progress': HttpStatus.CONFLICT,
};

interface JsonResponse {
  status(code: number): { json(body: unknown): void };
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
  private readonly logger = new Logger('Http');

  catch(exception: unknown, host: ArgumentsHost) {
    if (host.getType() !== 'http') return throwError(() => exception);
    const body = this.toBody(exception);
    host.switchToHttp().getResponse<JsonResponse>().status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): ApiErrorBody {
    if (exception instanceof AppError && STATUS_BY_CODE[exception.code] !== undefined) {
      return body(STATUS_BY_CODE[exception.code], exception.code, exception.message);
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return body(status, `http.${statusName(status).toLowerCase().replace(/ /g, '_')}`, messageOf(exception));
    }
    this.logger.error({ msg: 'unhandled error', error: exception instanceof Error ? { name: exception.name, message: exception.message, stack: exception.stack } : exception });
    return body(HttpStatus.INTERNAL_SERVER_ERROR, 'internal', 'internal server error');
  }
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
