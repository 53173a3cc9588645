import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiUnauthorizedResponse, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { AdminAction, BEARER_SCHEME } from '../auth/auth.decorators';
import { uuidParam } from '../common/uuid-param.pipe';
import { Reannouncement, OutboxService } from './outbox.service';

class ReannouncementDto implements Reannouncement {
  @ApiProperty({ format: 'uuid' }) invoice_id!: string;
  @ApiProperty({ format: 'uuid', description: 'The same event_id as every earlier announcement of this invoice' }) event_id!: string;
  @ApiProperty({ enum: ['pending'], description: 'The relay publishes it next' }) status!: 'pending';
}

@ApiTags('admin')
@ApiBearerAuth(BEARER_SCHEME)
@ApiUnauthorizedResponse({ description: 'Missing, malformed, wrongly signed or expired token' })
@Controller('admin/outbox')
export class OutboxController {
  constructor(private readonly outbox: OutboxService) {}

  @Post('reannounce/:invoice_id')
  @HttpCode(200)
  @AdminAction('outbox.reannounce')
  @ApiOkResponse({ type: ReannouncementDto })
  @ApiForbiddenResponse({ description: 'The token lacks the admin role (AUTH_ADMIN_ROLE); the attempt is audited' })
  @ApiNotFoundResponse({ description: 'No outbox row for this invoice (unknown, or purged by retention after publishing)' })
  reannounce(@Param('invoice_id', uuidParam('invoice_id')) invoiceId: string): Promise<Reannouncement> {
    return this.outbox.reannounce(invoiceId);
  }
}
