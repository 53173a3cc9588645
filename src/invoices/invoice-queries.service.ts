import { Injectable } from '@nestjs/common';
import { BillingError, InvalidRequestError } from '../common/errors';
import { ForbiddenError } from '../auth/auth.errors';
import { isAdmin, Principal } from '../auth/principal';
import { decodeCursor, encodeCursor } from './invoice-cursor';
import { DEFAULT_PAGE_SIZE, InvoiceDto, InvoicePageDto, ListInvoicesQuery } from './invoice.dto';
import { InvoiceRow, InvoicesRepository } from './invoices.repository';

export class InvoiceNotFoundError extends BillingError {
  readonly code = 'invoice.not_found';
}

/** Reads invoices for a caller; a tenant only ever sees its own, and another tenant's invoice does not exist. */
@Injectable()
export class InvoiceQueriesService {
  constructor(private readonly invoices: InvoicesRepository) {}

  async list(principal: Principal, query: ListInvoicesQuery): Promise<InvoicePageDto> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.invoices.listPage({
      tenantId: tenantToList(principal, query.tenant_id),
      orderId: query.order_id,
      ...createdRange(query),
      after: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
      limit,
    });
    const last = rows.length === limit ? rows[rows.length - 1] : undefined;
    return {
      items: rows.map(toDto),
      next_cursor: last ? encodeCursor({ insertXid: last.insert_xid, id: last.id }) : null,
    };
  }

  async get(principal: Principal, id: string): Promise<InvoiceDto> {
    const row = await this.invoices.findForTenant(principal.tenantId, id);
    if (!row) throw new InvoiceNotFoundError(`invoice ${id} not found`);
    return toDto(row);
  }
}

function tenantToList(principal: Principal, requested: string | undefined): string {
  if (requested === undefined || requested === principal.tenantId) return principal.tenantId;
  if (!isAdmin(principal)) throw new ForbiddenError('only an admin may list another tenant (tenant_id=)');
  return requested;
}

function createdRange(query: ListInvoicesQuery): { createdFrom?: Date; createdTo?: Date } {
  const createdFrom = instantOf(query.created_from);
  const createdTo = instantOf(query.created_to);
  if (createdFrom && createdTo && createdFrom > createdTo) throw new InvalidRequestError('created_from must not be after created_to');
  return { createdFrom, createdTo };
}

/** The query has been checked (ListInvoicesQueryPipe): each bound names a real instant. */
function instantOf(value: string | undefined): Date | undefined {
  return value === undefined ? undefined : new Date(value);
}

function toDto(row: InvoiceRow): InvoiceDto {
  return {
    id: row.id,
    event_id: row.event_id,
    tenant_id: row.tenant_id,
    order_id: row.order_id,
    amount: row.amount,
    currency: row.currency,
    created_at: new Date(row.created_at).toISOString(),
  };
}
