import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { BEARER_SCHEME } from '../auth/auth.decorators';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { uuidParam } from '../common/uuid-param.pipe';
import { InvoiceDto, InvoicePageDto, ListInvoicesQuery } from './invoice.dto';
import { InvoiceQueriesService } from './invoice-queries.service';
import { ListInvoicesQueryPipe } from './list-invoices.query';

@ApiTags('invoices')
@ApiBearerAuth(BEARER_SCHEME)
@ApiUnauthorizedResponse({ description: 'Missing, malformed, wrongly signed or expired token' })
@Controller('invoices')
export class InvoicesController {
  constructor(private readonly queries: InvoiceQueriesService) {}

  @Get()
  @ApiOkResponse({ type: InvoicePageDto })
  @ApiBadRequestResponse({ description: 'Unknown or invalid query parameter, or a bad cursor' })
  list(@CurrentPrincipal() principal: Principal, @Query(ListInvoicesQueryPipe) query: ListInvoicesQuery): Promise<InvoicePageDto> {
    return this.queries.list(principal, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: InvoiceDto })
  @ApiNotFoundResponse({ description: "No such invoice for the caller's tenant" })
  get(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam('id')) id: string): Promise<InvoiceDto> {
    return this.queries.get(principal, id);
  }
}
