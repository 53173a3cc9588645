import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConsumerOffsetsRepository } from './consumer-offsets.repository';
import { ConsumerOffsets } from './consumer-offsets.service';
import { StoredOffset } from './stored-offset.entity';

@Module({
  imports: [TypeOrmModule.forFeature([StoredOffset])],
  providers: [ConsumerOffsetsRepository, ConsumerOffsets],
  exports: [ConsumerOffsets, ConsumerOffsetsRepository],
})
export class ConsumerOffsetsModule {}
