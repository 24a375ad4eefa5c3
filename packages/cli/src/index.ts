export { ConfigError, configFileSchema, configFromObject, loadConfigFile, type LoadedConfig } from './config-file.ts'
export { DEMO_PORTS, DEMO_USERS, startDemo, type Demo } from './demo.ts'
export { mailClient, operatorToken } from './mail.ts'
export { serveDomain } from './serve.ts'
