import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/auth.decorators';
import { ADMIN_ROLE } from '../auth/principal';
import { uuidParam } from '../common/strict-query.pipe';
import { Reannouncement, OutboxService } from './outbox.service';

class ReannouncementDto implements Reannouncement {
  @ApiProperty({ format: 'uuid' }) invoice_id!: string;
  @ApiProperty({ format: 'uuid', description: 'The same event_id as every earlier announcement of this invoice' }) event_id!: string;
  @ApiProperty({ enum: ['pending'], description: 'The relay publishes it next' }) status!: 'pending';
}

@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin/outbox')
@Roles(ADMIN_ROLE)
export class OutboxController {
  constructor(private readonly outbox: OutboxService) {}

  @Post('reannounce/:invoice_id')
  @HttpCode(200)
  @ApiOkResponse({ type: ReannouncementDto })
  @ApiForbiddenResponse({ description: 'The token lacks the admin role' })
  @ApiNotFoundResponse({ description: 'No outbox row for this invoice (unknown, or purged by retention after publishing)' })
  reannounce(@Param('invoice_id', uuidParam('invoice_id')) invoiceId: string): Promise<Reannouncement> {
    return this.outbox.reannounce(invoiceId);
  }
}
