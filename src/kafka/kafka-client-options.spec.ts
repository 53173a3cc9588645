import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import fetchV11 from 'kafkajs/src/protocol/requests/fetch/v11/response';
import { KafkaSecurity } from '../config/kafka-security';
import { kafkaClientOptions } from './kafka-client-options';

describe('kafkaClientOptions', () => {
  it('installs the Kafka adapter before the first client exists: every codec, and the per-partition fetch decoding', () => {
    const original = fetchV11.decode;
    const codecs = CompressionCodecs as Record<number, () => unknown>;
    expect(() => codecs[CompressionTypes.ZSTD]()).toThrow(/not implemented/);
    kafkaClientOptions({ brokers: ['b:9092'] });
    expect(() => codecs[CompressionTypes.ZSTD]()).not.toThrow();
    expect(() => codecs[CompressionTypes.Snappy]()).not.toThrow();
    expect(() => codecs[CompressionTypes.LZ4]()).not.toThrow();
    expect(fetchV11.decode).not.toBe(original);
  });

  it('is plain brokers when nothing is set', () => {
    expect(kafkaClientOptions({ brokers: ['b:9092'] })).toEqual({ brokers: ['b:9092'] });
    expect(kafkaClientOptions({ brokers: ['b:9092'], security: new KafkaSecurity({}) })).toEqual({ brokers: ['b:9092'] });
  });

  it('always verifies the broker certificate and passes SASL through', () => {
    const security = new KafkaSecurity({ tls: { ca: 'CA', cert: 'C', key: 'K' }, sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' } });
    expect(kafkaClientOptions({ brokers: ['b:9093'], security })).toEqual({
      brokers: ['b:9093'],
      ssl: { ca: 'CA', cert: 'C', key: 'K', rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
    });
    const sneaky = new KafkaSecurity({ tls: { rejectUnauthorized: false } as never });
    expect(kafkaClientOptions({ brokers: ['b:9093'], security: sneaky }).ssl).toEqual({ rejectUnauthorized: true });
  });
});
