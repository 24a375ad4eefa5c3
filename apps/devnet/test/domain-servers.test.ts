import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { defaultLimits } from '@federizer/node'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { freePort, startDomainServers } from '../src/index.ts'

describe('one domain, one context', () => {
  it('a process running both servers of a domain shares one context: one connection, one key set', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'fz-servers-'))
    const [gatewayPort, apiPort] = [await freePort(), await freePort()]
    const logger = pino({ level: 'silent' })
    const servers = await startDomainServers(
      {
        domain: 'example.com',
        dataDir,
        gatewayUrl: `http://127.0.0.1:${gatewayPort}`,
        apiUrl: `http://127.0.0.1:${apiPort}`,
        mtaClientId: 'mta.example.com',
        webClientId: 'webmail.example.com',
        allowInsecureTargets: true,
        limits: { ...defaultLimits },
        undoSendSeconds: 10,
        queueTimeScale: 1,
      },
      {
        api: { port: apiPort, options: { logger, webDist: false } },
        gateway: { port: gatewayPort, options: { logger, workers: false } },
      },
    )
    try {
      const gateway = servers.gateway!.ctx
      const api = servers.api.ctx
      expect(api.domain).toBe(gateway.domain)
      expect(api.db).toBe(gateway.db)
      expect(api.keys).toBe(gateway.as.keys)
      expect(gateway.as.replay).toBe(gateway.federation.replay)
      // The AS's JWKS is the key set the api verifies with.
      const jwks = (await (await fetch(`http://127.0.0.1:${gatewayPort}/jwks`)).json()) as { keys: unknown[] }
      expect(jwks.keys).toEqual(api.keys.publicJwks().keys)
    } finally {
      await servers.close()
      await rm(dataDir, { recursive: true, force: true })
    }
    // Closed with the servers: the shared connection is gone.
    await expect(servers.api.ctx.db.selectFrom('users').selectAll().execute()).rejects.toThrow()
  })
})
