/**
 * streamlearn/serve: a saved model over HTTP (fastify), a classifier's or a
 * regressor's, predicting and, with `learn`, learning online with a
 * write-ahead log, checkpoints and hot reload; its online accuracy, or a
 * regressor's MAE, RMSE and R² (test-then-train on the learned rows) in GET /stats,
 * Prometheus' GET /metrics and a live dashboard, and challengers that learn
 * beside it until one is promoted.
 *
 * @module
 */
import '../index.js';

export { createServer, type ModelServer, type HealthBody, type StatsBody, type RegressionStatsBody, type ModelStats } from './app.js';
export { SERVE_DEFAULTS, LOG_LEVELS, type ServeOptions, type LogLevel, type EventLevel } from './options.js';
export { CHAMPION, type ModelFleet, type PromotionResult, type FleetCounts } from './fleet.js';
export type { LearnResult } from './host.js';
export type { WatchedRoute } from './dashboard.js';
export type { OnlineStats, OnlinePoint, RegressionOnlineStats, RegressionOnlinePoint, DriftStats, PulseReading } from './monitor.js';
export type { ServedPrediction } from './served-model.js';
export { finishPromotion, promotionRecordPath } from './promotion.js';
export { recoverModel, recoverAnyModel, type RecoveredModel, type RecoverOptions } from './recover.js';
export { LEARN_LOG_FILE, type FeatureValue, type RecordRow, type LogReplay, type SetAside } from './learn-log.js';
export { mirrorRegistryModel, type RegistryMirror, type RegistryMirrorOptions } from './registry-mirror.js';
