/**
 * streamlearn/serve: a saved model over HTTP (fastify), predicting and, with
 * `learn`, learning online with a write-ahead log, checkpoints and hot reload.
 *
 * @module
 */
import '../index.js';

export { createServer, type ModelServer, type HealthBody } from './app.js';
export { SERVE_DEFAULTS, type ServeOptions } from './options.js';
export { recoverModel, type RecoveredModel, type RecoverOptions } from './recover.js';
export { LEARN_LOG_FILE, type FeatureValue, type RecordRow, type LogReplay, type SetAside } from './learn-log.js';
export { mirrorRegistryModel, type RegistryMirror, type RegistryMirrorOptions } from './registry-mirror.js';
