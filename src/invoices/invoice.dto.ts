import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';

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

export class ListInvoicesQuery {
  @ApiPropertyOptional({ description: "Admins only: list this tenant instead of the token's" })
  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]{1,64}$/, { message: 'tenant_id must be 1-64 characters of [A-Za-z0-9._-]' })
  tenant_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString({ message: 'order_id must be given once' })
  @Length(1, 128, { message: 'order_id must be 1-128 characters' })
  order_id?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Inclusive lower bound on created_at' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'created_from must be an ISO 8601 date or timestamp' })
  created_from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Exclusive upper bound on created_at' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'created_to must be an ISO 8601 date or timestamp' })
  created_to?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1, { message: `limit must be from 1 to ${MAX_PAGE_SIZE}` })
  @Max(MAX_PAGE_SIZE, { message: `limit must be from 1 to ${MAX_PAGE_SIZE}` })
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional()
  @IsString({ message: 'cursor must be given once' })
  @Length(1, 200, { message: 'cursor is not valid' })
  cursor?: string;
}
