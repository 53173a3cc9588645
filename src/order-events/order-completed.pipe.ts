import { Injectable, PipeTransform } from '@nestjs/common';
import { OrderEventParser, ParsedOrderCompleted } from './order-event.parser';

@Injectable()
export class OrderCompletedPipe implements PipeTransform<unknown, ParsedOrderCompleted> {
  constructor(private readonly parser: OrderEventParser) {}

  transform(value: unknown): ParsedOrderCompleted {
    return this.parser.parse(value);
  }
}
