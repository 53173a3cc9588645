import { Module } from '@nestjs/common';
import { ConsumerOffsetsRepository } from './consumer-offsets.repository';
import { ConsumerOffsets } from './consumer-offsets.service';

@Module({
  providers: [ConsumerOffsetsRepository, ConsumerOffsets],
  exports: [ConsumerOffsets, ConsumerOffsetsRepository],
})
export class ConsumerOffsetsModule {}
