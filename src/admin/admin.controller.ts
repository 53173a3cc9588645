import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiUnauthorizedResponse, ApiConflictResponse, ApiForbiddenResponse, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { AdminAction, BEARER_SCHEME } from '../auth/auth.decorators';
import { PurgeResult, RetentionService } from '../retention/retention.service';

class CleanupResultDto implements PurgeResult {
  @ApiProperty({ description: 'Claims (processed_events) removed' }) deleted!: number;
  @ApiProperty({ description: 'Published invoice.created outbox rows removed' }) outbox_deleted!: number;
  @ApiProperty({ format: 'date-time', description: 'Claims processed before this were removed' }) cutoff!: string;
  @ApiProperty() retention_days!: number;
  @ApiProperty() duration_ms!: number;
}

@ApiTags('admin')
@ApiBearerAuth(BEARER_SCHEME)
@ApiUnauthorizedResponse({ description: 'Missing, malformed, wrongly signed or expired token' })
@Controller('admin')
export class AdminController {
  constructor(private readonly retention: RetentionService) {}

  @Post('cleanup')
  @HttpCode(200)
  // The purge commits batch by batch on a locked connection of its own: there is no one transaction to share.
  @AdminAction('retention.cleanup', { sharesTransaction: false })
  @ApiOkResponse({ type: CleanupResultDto, description: 'The same purge as the cron job' })
  @ApiForbiddenResponse({ description: 'The token lacks the admin role (AUTH_ADMIN_ROLE); the attempt is audited' })
  @ApiConflictResponse({ description: 'A purge is already running (on any replica)' })
  cleanup(): Promise<PurgeResult> {
    return this.retention.purge('admin');
  }
}
