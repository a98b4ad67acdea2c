/**
 * streamlearn/nats: NATS JetStream. Publishing rows into a stream, a stream
 * as a training source, workers that learn a stream's share with
 * at-least-once delivery, and the model registry in the object store.
 *
 * @module
 */
import '../index.js';

export { isNatsUrl, parseStreamUrl, parseModelRef, DEFAULT_NATS_PORT, type NatsServer, type StreamUrl, type ModelRef } from './url.js';
export { connectBroker, type Broker, type BrokerConnectOptions, type Reporter } from './connection.js';
export { publishRows, type PublishOptions, type PublishResult } from './publish.js';
export { readStreamFormat, writeStreamFormat, deleteStreamFormat, type StreamFormat, type RowEncoding } from './stream-format.js';
export { jetStreamSource, settleSource, type JetStreamSource, type JetStreamSourceOptions } from './source.js';
export { runWorker, WORKER_DEFAULTS, type WorkerOptions, type WorkerSummary } from './worker.js';
export type { NewClassPolicy } from './defaults.js';
export {
  saveModelTo,
  loadModelFrom,
  loadModelVersion,
  loadAnyModelFrom,
  loadAnyModelVersion,
  watchRegistry,
  putReplica,
  loadReplicas,
  loadAnyReplicas,
  type RegistryVersion,
  type RegistryOptions,
  type RegistryWatch,
  type NewVersionHandler,
  type SavedModel,
  type LoadedModel,
} from './registry.js';
