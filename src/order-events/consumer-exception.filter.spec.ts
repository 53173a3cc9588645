import { lastValueFrom } from 'rxjs';
import { ConsumerExceptionFilter } from './consumer-exception.filter';

describe('ConsumerExceptionFilter', () => {
  it('hands a failure to the transport unchanged, so its partitions are retried', async () => {
    const fault = new Error('deadlock detected');
    await expect(lastValueFrom(new ConsumerExceptionFilter().catch(fault))).rejects.toBe(fault);
  });
});
