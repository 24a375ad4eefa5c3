// The node tells the webmail where its AS and api live: GET /config.json (served by the api).

export interface WebConfig {
  issuer: string
  clientId: string
  apiUrl: string
  domain: string
  /** Optional scope to request; omitted when the AS grants its default. */
  scope?: string
}

export class ConfigError extends Error {
  readonly code = 'config_invalid'
}

/** Validates the shape of /config.json so a misconfigured node fails with a clear message. */
export function parseWebConfig(value: unknown): WebConfig {
  if (!value || typeof value !== 'object') throw new ConfigError('config.json is not a JSON object')
  const v = value as Record<string, unknown>
  for (const key of ['issuer', 'clientId', 'apiUrl', 'domain'] as const) {
    if (typeof v[key] !== 'string' || !(v[key] as string)) {
      throw new ConfigError(`config.json: "${key}" must be a non-empty string`)
    }
  }
  for (const key of ['issuer', 'apiUrl'] as const) {
    try {
      const url = new URL(v[key] as string)
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('scheme')
    } catch {
      throw new ConfigError(`config.json: "${key}" must be an absolute http(s) URL`)
    }
  }
  const config: WebConfig = {
    issuer: (v.issuer as string).replace(/\/+$/, ''),
    clientId: v.clientId as string,
    apiUrl: (v.apiUrl as string).replace(/\/+$/, ''),
    domain: v.domain as string,
  }
  if (typeof v.scope === 'string' && v.scope) config.scope = v.scope
  return config
}

/** Loads /config.json relative to the page. */
export async function loadWebConfig(fetchFn: typeof fetch = fetch): Promise<WebConfig> {
  const response = await fetchFn('/config.json', { cache: 'no-store' })
  if (!response.ok) throw new ConfigError(`config.json: HTTP ${response.status}`)
  return parseWebConfig(await response.json())
}
