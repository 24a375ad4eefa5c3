export { type DomainConfig, defaultLimits, domainPaths, type StoreConfig } from './config.ts'
export {
  ConfigError,
  type ConfigFile,
  configFileSchema,
  configFromObject,
  type LoadedConfig,
  loadConfigFile,
  toConfigFile,
} from './config-file.ts'
export { createListener, type Listener } from './http-listener.ts'
export {
  baseRetryDelay,
  QUEUE_LIFETIME_SECONDS,
  type QueueSchedule,
  queueSchedule,
  retryDelaySeconds,
  scaled,
} from './queue-schedule.ts'
export { signalQueued, watchQueued } from './queue-wake.ts'
export { requestLog } from './request-log.ts'
