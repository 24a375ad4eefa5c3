import { type DomainConfig, defaultLimits } from '@federizer/node'

/**
 * The config of example.com the domain tests open in `dataDir`. Nothing listens on gatewayUrl (port 1), so an
 * exchange that goes over HTTP fails as network_error.
 */
export const testDomainConfig = (dataDir: string, overrides: Partial<DomainConfig> = {}): DomainConfig => ({
  domain: 'example.com',
  dataDir,
  gatewayUrl: 'http://127.0.0.1:1/fz',
  apiUrl: 'http://127.0.0.1:2',
  mtaClientId: 'mta.example.com',
  webClientId: 'webmail.example.com',
  allowInsecureTargets: true,
  limits: { ...defaultLimits },
  undoSendSeconds: 10,
  queueTimeScale: 1,
  ...overrides,
})
