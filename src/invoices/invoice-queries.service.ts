import { Injectable } from '@nestjs/common';
import { BillingError } from '../common/errors';
import { InvalidRequestError } from '../common/errors';
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
    if (query.order_id !== undefined && !isStorableText(query.order_id)) throw new InvalidRequestError('order_id must be well-formed Unicode without NUL');
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

function isStorableText(text: string): boolean {
  return text.isWellFormed() && !text.includes('\u0000');
}

function tenantToList(principal: Principal, requested: string | undefined): string {
  if (requested === undefined || requested === principal.tenantId) return principal.tenantId;
  if (!isAdmin(principal)) throw new ForbiddenError('only an admin may list another tenant (tenant_id=)');
  return requested;
}

function createdRange(query: ListInvoicesQuery): { createdFrom?: Date; createdTo?: Date } {
  const createdFrom = instantOf('created_from', query.created_from);
  const createdTo = instantOf('created_to', query.created_to);
  if (createdFrom && createdTo && createdFrom > createdTo) throw new InvalidRequestError('created_from must not be after created_to');
  return { createdFrom, createdTo };
}

/** ISO 8601 shapes such as week dates pass the DTO's check but name no instant JavaScript can compute. */
function instantOf(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const instant = new Date(value);
  if (Number.isNaN(instant.getTime())) throw new InvalidRequestError(`${name} must be an ISO 8601 date or timestamp`);
  return instant;
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
