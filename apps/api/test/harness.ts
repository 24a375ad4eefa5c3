import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
// The domain's servers (this api, and the real gateway as its AS when asked) start through devnet.
import { type DomainServers, freePort, startDomainServers, testStore } from '@federizer/devnet'
import { type DomainConfig, defaultLimits } from '@federizer/node'
import { signAccessToken } from '@federizer/protocol'
import { createUser, findUser, loadOrCreateDomainKeys } from '@federizer/store'
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client'
import pino from 'pino'
import type { Api, ApiOptions, AppRouter } from '../src/index.ts'

export interface Harness {
  api: Api
  /** The domain's real gateway (AS), when started with `gateway: true`. */
  gateway: DomainServers['gateway']
  config: DomainConfig
  baseUrl: string
  dataDir: string
  /**
   * Mints an access token of the domain's AS for `email` (as the gateway would), creating the account
   * first when it does not exist (the AS only signs for accounts it has).
   */
  token(email: string, overrides?: Partial<Parameters<typeof signAccessToken>[0]>): Promise<string>
  /** Mints a validly signed token for `email` without creating its account (an unknown subject). */
  tokenWithoutAccount(
    email: string,
    overrides?: Partial<Parameters<typeof signAccessToken>[0]>,
  ): Promise<string>
  /** Creates the account `email` (password `email`) unless it exists. */
  user(email: string): Promise<void>
  client(email: string): Promise<ReturnType<typeof createTRPCClient<AppRouter>>>
  clientWithToken(token: string | undefined): ReturnType<typeof createTRPCClient<AppRouter>>
  close(): Promise<void>
}

export const now = () => Math.floor(Date.now() / 1000)

/** A real api on 127.0.0.1:0 over a temp data folder. `configure` may point the gateway URL elsewhere. */
export async function startApi(
  options: { configure?: (c: DomainConfig) => DomainConfig; api?: ApiOptions; gateway?: boolean } = {},
): Promise<Harness> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'fz-api-'))
  // SQLite in dataDir, or a fresh PostgreSQL database under `npm run test:pg` (apps/devnet/src/postgres.ts).
  const store = await testStore('example.com')
  let config: DomainConfig = {
    domain: 'example.com',
    dataDir,
    ...(store ? { store } : {}),
    gatewayUrl: 'http://127.0.0.1:1/as',
    apiUrl: 'http://127.0.0.1:0',
    mtaClientId: 'mta.example.com',
    webClientId: 'webmail.example.com',
    allowInsecureTargets: true,
    limits: { ...defaultLimits, maxResourceBytes: 1024 * 1024 },
    undoSendSeconds: 30,
    queueTimeScale: 1,
  }
  const apiPort = await freePort()
  const gatewayPort = options.gateway ? await freePort() : 1
  config = { ...config, apiUrl: `http://127.0.0.1:${apiPort}`, gatewayUrl: `http://127.0.0.1:${gatewayPort}` }
  if (options.configure) config = options.configure(config)
  const logger = pino({ level: 'silent' })
  const { api, gateway, close } = await startDomainServers(config, {
    api: { port: apiPort, options: { logger, webDist: false, ...options.api } },
    ...(options.gateway ? { gateway: { port: gatewayPort, options: { logger, workers: false } } } : {}),
  })
  const keys = await loadOrCreateDomainKeys(config)
  const baseUrl = config.apiUrl
  const user: Harness['user'] = async (email) => {
    if (await findUser(api.ctx.db, email)) return
    await createUser(api.ctx.db, { email, password: `${email} password`, scrypt: { N: 1024, r: 8, p: 1 } })
  }
  const tokenWithoutAccount: Harness['token'] = (email, overrides = {}) =>
    signAccessToken(
      {
        iss: config.gatewayUrl,
        sub: email,
        email,
        aud: config.apiUrl,
        client_id: config.webClientId,
        scope: 'openid mail',
        iat: now(),
        exp: now() + 600,
        jti: randomUUID(),
        ...overrides,
      },
      keys.activeSigningKey(),
    )
  const token: Harness['token'] = async (email, overrides = {}) => {
    await user(email)
    return tokenWithoutAccount(email, overrides)
  }
  const clientWithToken = (t: string | undefined) =>
    createTRPCClient<AppRouter>({
      links: [
        httpBatchLink({
          url: `${baseUrl}/trpc`,
          headers: () => (t ? { authorization: `Bearer ${t}` } : {}),
        }),
      ],
    })
  return {
    api,
    gateway,
    config,
    baseUrl,
    dataDir,
    token,
    tokenWithoutAccount,
    user,
    clientWithToken,
    async client(email) {
      return clientWithToken(await token(email))
    },
    async close() {
      await close()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

/** The tRPC error code of a failed call (e.g. 'NOT_FOUND'), or 'no error'. */
export async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'no error'
  } catch (e) {
    if (e instanceof TRPCClientError) return String((e.data as { code?: string } | undefined)?.code)
    throw e
  }
}

export async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p
  } catch (e) {
    if (e instanceof TRPCClientError) {
      return { code: String((e.data as { code?: string } | undefined)?.code), message: e.message }
    }
    throw e
  }
  throw new Error('expected the call to fail')
}

/** Uploads bytes through the plain HTTP route. */
export async function upload(
  h: Harness,
  token: string,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${h.baseUrl}/resources`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/pdf', ...headers },
    body: typeof body === 'string' ? body : Buffer.from(body),
  })
}
