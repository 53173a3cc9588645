// The chaos suite (test/chaos/, run by Node as it is) declares what it calls in the built service; the sources must
// match that declaration, so that a changed signature fails `npm run typecheck` rather than a chaos run.
import type * as CompleteSend from '../../src/kafka/complete-send';
import type * as KafkaTopics from '../../src/kafka/kafka-topics';
import type * as KafkaAdapter from '../../src/kafka/kafka-adapter';
import type * as KafkaProducer from '../../src/kafka/kafka-producer';
import type { BuiltCompleteSend, BuiltKafkaAdapter, BuiltKafkaProducer, BuiltKafkaTopics } from '../chaos/built-service-types';

type Satisfies<Declared, Source extends Declared> = [Declared, Source];

export type ChaosBuiltService = [
  Satisfies<BuiltCompleteSend, typeof CompleteSend>,
  Satisfies<BuiltKafkaProducer, typeof KafkaProducer>,
  Satisfies<BuiltKafkaTopics, typeof KafkaTopics>,
  Satisfies<BuiltKafkaAdapter, typeof KafkaAdapter>,
];
