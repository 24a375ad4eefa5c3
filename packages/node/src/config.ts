import path from 'node:path'

/**
 * One trust domain's node: its AS + federation gateway, its mailbox api (which also serves the webmail),
 * and the data folder they share. Read once by the launcher (or a test) and passed to every factory.
 */
export interface DomainConfig {
  /** The mail domain, e.g. `example.com`. Users' addresses are `local@domain`. */
  domain: string
  /**
   * Folder holding `mail.sqlite`, `resources/` and `keys/` (mode 0700). With a PostgreSQL store several
   * replicas share it (resources and keys; docs/operations.md, "Production layout").
   */
  dataDir: string
  /** Where the database lives: `mail.sqlite` in dataDir (default), or a shared PostgreSQL database. */
  store?: StoreConfig
  /**
   * Public base URL of the gateway (AS + federation), no trailing slash; may carry a path
   * (`https://mail.example.com/fz`). It is also the AS `issuer` and the mailbox `resource_url`.
   */
  gatewayUrl: string
  /** Public base URL of the mailbox api; it also serves the webmail (`/`), tRPC (`/trpc`) and byte streams. */
  apiUrl: string
  /** OAuth client_id of this domain's MTA (confidential, private_key_jwt); published in /.well-known/federizer. */
  mtaClientId: string
  /** OAuth client_id of the webmail (public client, PKCE); its redirect_uri is `${apiUrl}/callback`. */
  webClientId: string
  /** DNS servers (`host:port`) for SRV discovery; undefined means the system's resolver. */
  dnsServers?: string[]
  /**
   * The reverse proxies (addresses, CIDR ranges, or `loopback` / `linklocal` / `uniquelocal`) whose
   * `X-Forwarded-For` is believed: rate limits then key on the client the nearest untrusted hop names.
   * Empty (the default): the connected address is the client. docs/operations.md, "Behind a TLS proxy".
   */
  trustedProxies?: string[]
  /** Allow discovery targets on loopback/private addresses and plain http (development, tests, demo). */
  allowInsecureTargets: boolean
  limits: {
    /** Largest resource accepted on upload and on fetch (default 1 GiB). */
    maxResourceBytes: number
    /** Largest Placeholder Message accepted (JSON or YAML bytes, default 256 KiB). */
    maxPlaceholderBytes: number
    /** Largest whole message (placeholder + every resource it names) sent or received (default 2 GiB). */
    maxMessageBytes: number
    /** Storage quota of an account unless the operator set its own (default 10 GiB). */
    userQuotaBytes: number
    /** Deliveries accepted from one peer domain per hour (default 10,000). */
    peerHourlyRequests: number
    /** Message bytes (placeholder + resources to fetch) accepted from one peer domain per hour (default 20 GiB). */
    peerHourlyBytes: number
  }
  /** Seconds a sent message is held by the server so the user can undo (default 10). */
  undoSendSeconds: number
  /** Speed-ups for tests and the demo: multiply every queue delay by this factor (default 1). */
  queueTimeScale: number
  /** Tests and the demo: the port outbound SMTP connects to on every MX (default 25, RFC 5321 §4.5.4). */
  smtpOutboundPort?: number
}

export type StoreConfig = { kind: 'sqlite' } | { kind: 'postgres'; url: string }

/** Where the domain's data lives; `database` is the SQLite file path or the PostgreSQL URL. */
export function domainPaths(config: Pick<DomainConfig, 'dataDir' | 'store'>) {
  return {
    database: config.store?.kind === 'postgres' ? config.store.url : path.join(config.dataDir, 'mail.sqlite'),
    resources: path.join(config.dataDir, 'resources'),
    keys: path.join(config.dataDir, 'keys'),
  }
}

export const defaultLimits: DomainConfig['limits'] = {
  maxResourceBytes: 1024 * 1024 * 1024,
  maxPlaceholderBytes: 256 * 1024,
  maxMessageBytes: 2 * 1024 ** 3,
  userQuotaBytes: 10 * 1024 ** 3,
  peerHourlyRequests: 10_000,
  peerHourlyBytes: 20 * 1024 ** 3,
}
