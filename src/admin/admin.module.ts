import { Module } from '@nestjs/common';
import { RetentionModule } from '../retention/retention.module';
import { AdminController } from './admin.controller';

@Module({
  imports: [RetentionModule],
  controllers: [AdminController],
})
export class AdminModule {}
