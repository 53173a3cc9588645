import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Invoice } from './invoice.entity';
import { InvoiceQueriesService } from './invoice-queries.service';
import { InvoicesController } from './invoices.controller';
import { InvoicesRepository } from './invoices.repository';
import { InvoicesService } from './invoices.service';
import { StaleEventDetector } from './stale-event.detector';

@Module({
  imports: [TypeOrmModule.forFeature([Invoice])],
  controllers: [InvoicesController],
  providers: [InvoicesRepository, InvoicesService, InvoiceQueriesService, StaleEventDetector],
  exports: [InvoicesService],
})
export class InvoicesModule {}
