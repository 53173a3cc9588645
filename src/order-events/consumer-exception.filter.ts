import { Catch, RpcExceptionFilter } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';

/**
 * Whatever escapes the flow may be transient (poison never does: the flow dead-letters it). Nest's default filter
 * would replace it with a generic "Internal server error"; this one hands it to the transport as it is, which
 * leaves the offsets unacknowledged and retries the partitions (TransientFaultRetrier).
 */
@Catch()
export class ConsumerExceptionFilter implements RpcExceptionFilter {
  catch(error: unknown): Observable<never> {
    return throwError(() => error);
  }
}
