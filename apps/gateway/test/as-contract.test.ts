import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createDpopKey } from '@federizer/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueAccessToken } from '../src/as/tokens.ts'
import { AT, JWT, rawExchange, sealedMessage } from './as-exchange-helpers.ts'
import {
  addUser,
  cookieFetch,
  discoverAs,
  signInThroughForm,
  startDomain,
  type TestDomain,
} from './as-helpers.ts'
import { type Contract, loadContract, OPENAPI_FILE } from './contract.ts'

let d: TestDomain
let contract: Contract
beforeAll(async () => {
  d = await startDomain('example.com')
  await addUser(d, 'alice')
  contract = await loadContract()
})
afterAll(async () => {
  await d.close()
})

const form = (body: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(body),
})

describe('real AS responses satisfy openapi/federizer.yaml', () => {
  it('metadata and JWKS', async () => {
    await contract.expectResponse(await fetch(`${d.url}/.well-known/oauth-authorization-server`), {
      path: '/.well-known/oauth-authorization-server',
      method: 'get',
    })
    await contract.expectResponse(await fetch(`${d.url}/jwks`), { path: '/jwks', method: 'get' })
  })

  it('authorize page, sign-in redirect, code and refresh responses, revocation, logout', async () => {
    const as = await discoverAs(d)
    const { posted, verifier } = await signInThroughForm(d, as)
    const location = new URL(posted.headers.get('location')!)
    await contract.expectResponse(posted, { path: '/authorize', method: 'post' })
    const tokenResponse = await fetch(
      `${d.url}/token`,
      form({
        grant_type: 'authorization_code',
        code: location.searchParams.get('code')!,
        redirect_uri: `${d.config.apiUrl}/callback`,
        code_verifier: verifier,
        client_id: d.config.webClientId,
      }),
    )
    const tokens = (await contract.expectResponse(tokenResponse, {
      path: '/token',
      method: 'post',
    })) as Record<string, string>
    const refreshed = await fetch(
      `${d.url}/token`,
      form({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token!,
        client_id: d.config.webClientId,
      }),
    )
    await contract.expectResponse(refreshed, { path: '/token', method: 'post' })
    const reused = await fetch(
      `${d.url}/token`,
      form({
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token!,
        client_id: d.config.webClientId,
      }),
    )
    expect(reused.status).toBe(400)
    await contract.expectResponse(reused, { path: '/token', method: 'post' })
    const revoked = await fetch(
      `${d.url}/revoke`,
      form({ token: 'whatever', client_id: d.config.webClientId }),
    )
    await contract.expectResponse(revoked, { path: '/revoke', method: 'post' })
    const badClient = await fetch(`${d.url}/revoke`, form({ token: 'whatever', client_id: 'nobody' }))
    expect(badClient.status).toBe(401)
    await contract.expectResponse(badClient, { path: '/revoke', method: 'post' })
    const page = await cookieFetch().fetch(`${d.url}/logout`)
    await contract.expectResponse(page, { path: '/logout', method: 'get' })
    const badPage = await fetch(`${d.url}/authorize?client_id=nobody`)
    expect(badPage.status).toBe(400)
    await contract.expectResponse(badPage, { path: '/authorize', method: 'get' })
  })

  it('token exchange: hop assertion, errors, nonce challenge, rate limit', async () => {
    const token = (
      await issueAccessToken(d.gateway.ctx, {
        account: 'alice@example.com',
        clientId: d.config.webClientId,
        scope: 'mail',
      })
    ).token
    const params = () => ({
      subject_token: token,
      subject_token_type: AT,
      requested_token_type: JWT,
      headers: JSON.stringify(sealedMessage('alice@example.com', ['bob@example.net']).headers),
    })
    const check = (r: Awaited<ReturnType<typeof rawExchange>>) =>
      contract.check(
        { status: r.status, headers: r.headers, text: JSON.stringify(r.body) },
        { path: '/token', method: 'post' },
      )
    const ok = await rawExchange(d, params())
    expect(ok.status).toBe(200)
    check(ok)
    check(await rawExchange(d, params(), { dpop: null }))
    check(await rawExchange(d, params(), { clientAssertion: false }))
    d.gateway.ctx.as.dpopNonces.required = true
    try {
      const challenge = await rawExchange(d, params(), { dpopKey: await createDpopKey() })
      expect(challenge.body.error).toBe('use_dpop_nonce')
      check(challenge)
    } finally {
      d.gateway.ctx.as.dpopNonces.required = false
    }
    d.gateway.ctx.as.limits.tokenPerMtaClient = { max: 0, windowSeconds: 60 }
    try {
      const limited = await rawExchange(d, params())
      expect(limited.status).toBe(429)
      check(limited)
    } finally {
      d.gateway.ctx.as.limits.tokenPerMtaClient = { max: 120_000, windowSeconds: 60 }
    }
  })

  it('the checker itself rejects a response that breaks the contract', () => {
    expect(() =>
      contract.check(
        {
          status: 200,
          headers: new Headers({ 'content-type': 'application/json' }),
          text: '{"access_token":"x","token_type":"Bearer"}',
        },
        { path: '/token', method: 'post' },
      ),
    ).toThrow(/does not match the contract/)
    expect(() =>
      contract.check({ status: 418, headers: new Headers(), text: '' }, { path: '/token', method: 'post' }),
    ).toThrow(/does not document status 418/)
  })
})

describe('the OpenAPI document', () => {
  it('lints clean with redocly', async () => {
    const root = fileURLToPath(new URL('../../..', import.meta.url))
    const { stdout, stderr } = await promisify(execFile)(
      'npx',
      ['redocly', 'lint', OPENAPI_FILE, '--config', `${root}/openapi/redocly.yaml`, '--format', 'json'],
      {
        cwd: root,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    ).catch((e: { stdout: string; stderr: string }) => e)
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as {
      totals: { errors: number; warnings: number }
      problems: { message: string }[]
    }
    expect(report.problems, stderr).toEqual([])
    expect(report.totals.errors).toBe(0)
  }, 60_000)
})
