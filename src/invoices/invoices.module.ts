import { Module } from '@nestjs/common';
import { InvoiceQueriesService } from './invoice-queries.service';
import { InvoicesController } from './invoices.controller';
import { InvoicesRepository } from './invoices.repository';
import { InvoicesService } from './invoices.service';
import { StaleEventDetector } from './stale-event.detector';

@Module({
  controllers: [InvoicesController],
  providers: [InvoicesRepository, InvoicesService, InvoiceQueriesService, StaleEventDetector],
  exports: [InvoicesService],
})
export class InvoicesModule {}
