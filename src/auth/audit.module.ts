import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdminAuditEntry } from './admin-audit.entity';
import { AuditInterceptor } from './audit.interceptor';
import { AuditTrail } from './audit-trail';

@Module({
  imports: [TypeOrmModule.forFeature([AdminAuditEntry])],
  providers: [AuditTrail, { provide: APP_INTERCEPTOR, useClass: AuditInterceptor }],
  exports: [AuditTrail],
})
export class AuditModule {}
