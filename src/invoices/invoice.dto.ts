import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export class InvoiceDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) event_id!: string;
  @ApiProperty({ example: 'acme' }) tenant_id!: string;
  @ApiProperty({ example: 'order-1001' }) order_id!: string;
  @ApiProperty({ example: '149.90', description: 'Decimal string, never a float' }) amount!: string;
  @ApiProperty({ example: 'USD' }) currency!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class InvoicePageDto {
  @ApiProperty({ type: [InvoiceDto] }) items!: InvoiceDto[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor= for the next page; null on the last page' })
  next_cursor!: string | null;
}

/** The query of `GET /invoices` as documented; ListInvoicesQueryPipe checks it. */
export class ListInvoicesQuery {
  @ApiPropertyOptional({ description: "Admins only: list this tenant instead of the token's" })
  tenant_id?: string;

  @ApiPropertyOptional()
  order_id?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Inclusive lower bound on created_at: a date (YYYY-MM-DD, midnight UTC) or a timestamp with its time zone',
  })
  created_from?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Exclusive upper bound on created_at: a date (YYYY-MM-DD, midnight UTC) or a timestamp with its time zone',
  })
  created_to?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  cursor?: string;
}
