import { readFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import path from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { type DomainConfig, defaultLimits } from './config.ts'

/** A problem with the configuration file, reported to the operator with the path of the bad field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

const listenSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535),
})

const httpsUrl = (allowHttp: boolean) =>
  z
    .string()
    .url()
    .refine((u) => !u.endsWith('/'), 'must not end with "/"')
    .refine(
      (u) => allowHttp || u.startsWith('https://'),
      'must be an https:// URL (set "development": true for http)',
    )

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal']

/** One trusted proxy: an IP address, a CIDR range (`10.0.0.0/8`, `fd00::/8`), or a named range. */
const trustedProxySchema = z.string().refine(
  (v) => {
    if (PROXY_NAMES.includes(v)) return true
    const [addr = '', prefix, extra] = v.split('/')
    const family = isIP(addr)
    if (family === 0 || extra !== undefined) return false
    if (prefix === undefined) return true
    const bits = Number(prefix)
    return /^\d{1,3}$/.test(prefix) && bits >= 0 && bits <= (family === 4 ? 32 : 128)
  },
  `must be an IP address, a CIDR range (e.g. 10.0.0.0/8) or one of ${PROXY_NAMES.join(', ')}`,
)

const storeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sqlite') }).strict(),
  z
    .object({
      kind: z.literal('postgres'),
      url: z
        .string()
        .regex(/^postgres(ql)?:\/\/[^/\s]+\/[^/\s?]+/, 'must be a postgres://user@host:port/database URL'),
    })
    .strict(),
])

/**
 * The production shape of one domain: https URLs, the system's DNS, listen addresses behind a TLS proxy.
 * Every field is documented in docs/operations.md.
 */
export const configFileSchema = z
  .object({
    domain: z
      .string()
      .regex(
        /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
        'must be a lower-case DNS name',
      ),
    dataDir: z.string().min(1),
    /** `{ kind: sqlite }` (default: dataDir/mail.sqlite) or `{ kind: postgres, url }` (replicas share it). */
    store: storeSchema.default({ kind: 'sqlite' }),
    gatewayUrl: z.string(),
    apiUrl: z.string(),
    mtaClientId: z.string().min(1).optional(),
    webClientId: z.string().min(1).optional(),
    dnsServers: z.array(z.string().regex(/^[0-9a-fA-F.:[\]]+$/, 'must be host:port')).optional(),
    trustedProxies: z.array(trustedProxySchema).default([]),
    development: z.boolean().default(false),
    listen: z
      .object({
        gateway: listenSchema.optional(),
        api: listenSchema.optional(),
        smtp: listenSchema.optional(),
      })
      .default({}),
    /** The SMTP bridge (docs/smtp-bridge.md); the inbound listener runs only when `listen.smtp` is set. */
    smtp: z
      .object({
        /** PEM files of the domain's certificate: inbound STARTTLS is offered only when set (RFC 3207). */
        tls: z
          .object({ certFile: z.string().min(1), keyFile: z.string().min(1) })
          .strict()
          .optional(),
        /** Largest message the listener accepts, announced in EHLO SIZE (RFC 1870). */
        maxMessageBytes: z
          .number()
          .int()
          .positive()
          .default(25 * 1024 * 1024),
        /** Most RCPT TO per transaction (RFC 5321 §4.5.3.1.8 asks that at least 100 be accepted). */
        maxRecipients: z.number().int().min(1).default(100),
        /** The port outbound SMTP connects to on every MX: 25 in production (RFC 5321 §4.5.4), another in tests. */
        outboundPort: z.number().int().min(1).max(65535).default(25),
      })
      .strict()
      .default({ maxMessageBytes: 25 * 1024 * 1024, maxRecipients: 100, outboundPort: 25 }),
    limits: z
      .object({
        maxResourceBytes: z.number().int().positive().default(defaultLimits.maxResourceBytes),
        maxPlaceholderBytes: z.number().int().positive().default(defaultLimits.maxPlaceholderBytes),
        maxMessageBytes: z.number().int().positive().default(defaultLimits.maxMessageBytes),
        userQuotaBytes: z.number().int().min(0).default(defaultLimits.userQuotaBytes),
        peerHourlyRequests: z.number().int().positive().default(defaultLimits.peerHourlyRequests),
        peerHourlyBytes: z.number().int().positive().default(defaultLimits.peerHourlyBytes),
      })
      .strict()
      .default(defaultLimits),
    undoSendSeconds: z.number().int().min(0).max(120).default(10),
    /** Tests and the demo only: multiplies every queue delay (DomainConfig.queueTimeScale). */
    queueTimeScale: z.number().positive().default(1),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict()
  .superRefine((c, ctx) => {
    for (const key of ['gatewayUrl', 'apiUrl'] as const) {
      const r = httpsUrl(c.development).safeParse(c[key])
      if (!r.success)
        ctx.addIssue({ code: 'custom', path: [key], message: r.error.issues[0]?.message ?? 'invalid URL' })
    }
  })

export type ConfigFile = z.infer<typeof configFileSchema>

export interface LoadedConfig {
  domain: DomainConfig
  listen: { gateway: { host: string; port: number }; api: { host: string; port: number } }
  /** The inbound SMTP listener, when `listen.smtp` is set (the gateway starts it). */
  smtp?: {
    host: string
    port: number
    maxMessageBytes: number
    maxRecipients: number
    tls?: { certFile: string; keyFile: string }
  }
  logLevel: ConfigFile['logLevel']
}

/** Reads a JSON or YAML configuration file; throws ConfigError naming the file and the bad field. */
export async function loadConfigFile(file: string): Promise<LoadedConfig> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    throw new ConfigError(`cannot read the configuration file ${file}: ${(e as Error).message}`)
  }
  let raw: unknown
  try {
    raw = /\.ya?ml$/i.test(file) ? parseYaml(text, { maxAliasCount: 0 }) : JSON.parse(text)
  } catch (e) {
    throw new ConfigError(
      `${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(e as Error).message}`,
    )
  }
  return configFromObject(raw, file)
}

export function configFromObject(raw: unknown, source = 'configuration'): LoadedConfig {
  const parsed = configFileSchema.safeParse(raw)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(top level)'}: ${i.message}`)
    throw new ConfigError(`${source} is not a valid Federizer configuration:\n${lines.join('\n')}`)
  }
  const c = parsed.data
  const portOf = (u: string) => {
    const url = new URL(u)
    return Number(url.port || (url.protocol === 'https:' ? 443 : 80))
  }
  return {
    domain: {
      domain: c.domain,
      dataDir: path.resolve(c.dataDir),
      store: c.store,
      gatewayUrl: c.gatewayUrl,
      apiUrl: c.apiUrl,
      mtaClientId: c.mtaClientId ?? `mta.${c.domain}`,
      webClientId: c.webClientId ?? `webmail.${c.domain}`,
      ...(c.dnsServers ? { dnsServers: c.dnsServers } : {}),
      ...(c.trustedProxies.length > 0 ? { trustedProxies: c.trustedProxies } : {}),
      allowInsecureTargets: c.development,
      limits: c.limits,
      undoSendSeconds: c.undoSendSeconds,
      queueTimeScale: c.queueTimeScale,
      ...(c.smtp.outboundPort !== 25 ? { smtpOutboundPort: c.smtp.outboundPort } : {}),
    },
    ...(c.listen.smtp
      ? {
          smtp: {
            ...c.listen.smtp,
            maxMessageBytes: c.smtp.maxMessageBytes,
            maxRecipients: c.smtp.maxRecipients,
            ...(c.smtp.tls
              ? {
                  tls: {
                    certFile: path.resolve(c.smtp.tls.certFile),
                    keyFile: path.resolve(c.smtp.tls.keyFile),
                  },
                }
              : {}),
          },
        }
      : {}),
    listen: {
      gateway: c.listen.gateway ?? { host: '127.0.0.1', port: portOf(c.gatewayUrl) },
      api: c.listen.api ?? { host: '127.0.0.1', port: portOf(c.apiUrl) },
    },
    logLevel: c.logLevel,
  }
}

/**
 * The configuration-file object of a DomainConfig that a launcher already holds (devnet, the benchmarks),
 * so that a child process reads it back through `loadConfigFile` like every other entry point.
 */
export function toConfigFile(
  config: DomainConfig,
  listen: {
    gateway?: { host?: string; port: number }
    api?: { host?: string; port: number }
    smtp?: { host?: string; port: number }
  } = {},
  logLevel: ConfigFile['logLevel'] = 'info',
): z.input<typeof configFileSchema> {
  return {
    domain: config.domain,
    dataDir: config.dataDir,
    ...(config.store ? { store: config.store } : {}),
    gatewayUrl: config.gatewayUrl,
    apiUrl: config.apiUrl,
    mtaClientId: config.mtaClientId,
    webClientId: config.webClientId,
    ...(config.dnsServers ? { dnsServers: config.dnsServers } : {}),
    ...(config.trustedProxies ? { trustedProxies: config.trustedProxies } : {}),
    development: config.allowInsecureTargets,
    listen,
    limits: config.limits,
    undoSendSeconds: config.undoSendSeconds,
    queueTimeScale: config.queueTimeScale,
    ...(config.smtpOutboundPort ? { smtp: { outboundPort: config.smtpOutboundPort } } : {}),
    logLevel,
  }
}
