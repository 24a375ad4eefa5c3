// Issue 12 (Low): key validity at `iat`, and removed keys stop being trusted without a restart. The
// domain's own AS keys sign only inside their window in the rotation records (activatesAt .. retiredAt):
// someone holding a retired private key cannot mint a token dated after the retirement, and a key the
// operator removed from the key file is refused by the running servers.

import { randomUUID } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { type SigningKey, signAccessToken } from '@federizer/protocol'
import { readSigningKeys, rotateSigningKey, type StoredSigningKey } from '@federizer/store'
import { type CryptoKey, importJWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Harness, now, startApi } from '../harness.ts'
import { rawCall } from './probe.ts'

let h: Harness
const alice = 'alice@example.com'
const list = { path: 'mailbox.list', type: 'query' } as const
let retired: SigningKey
let active: SigningKey
let retiredAt: number

const signingKey = async (k: StoredSigningKey): Promise<SigningKey> => ({
  kid: k.kid,
  alg: k.alg,
  privateKey: (await importJWK(k.privateJwk, k.alg)) as CryptoKey,
})

/** An access token for Alice signed with `key`, dated `iat` (valid 15 min from then). */
const tokenAt = (key: SigningKey, iat: number) =>
  signAccessToken(
    {
      iss: h.config.gatewayUrl,
      sub: alice,
      email: alice,
      aud: h.config.apiUrl,
      client_id: h.config.webClientId,
      scope: 'openid mail',
      iat,
      exp: iat + 900,
      jti: randomUUID(),
    },
    key,
  )

/** The running servers re-read the key file at most once a second. */
const reread = () => new Promise((r) => setTimeout(r, 1100))
const keyFile = () => path.join(h.dataDir, 'keys', 'as-signing.json')

beforeAll(async () => {
  h = await startApi({ gateway: true })
  await h.user(alice)
  // History: the first key signed from two hours ago; ten minutes ago a rotation handed over to a new key.
  const file = JSON.parse(await readFile(keyFile(), 'utf8')) as { keys: StoredSigningKey[] }
  const first = file.keys[0]!
  await writeFile(
    keyFile(),
    JSON.stringify({ keys: [{ ...first, createdAt: now() - 7200, activatesAt: now() - 7200 }] }),
  )
  retiredAt = now() - 600
  await rotateSigningKey({ dataDir: h.dataDir }, 'ES256', {
    now: retiredAt,
    publishAheadSeconds: 0,
  })
  const [old, next] = await readSigningKeys({ dataDir: h.dataDir })
  expect(old?.retiredAt).toBe(retiredAt)
  retired = await signingKey(old!)
  active = await signingKey(next!)
  await reread()
})
afterAll(async () => h?.close())

describe('own keys are trusted only inside their signing window', () => {
  it('a token the retired key signed while it was active still works until it expires', async () => {
    const r = await rawCall(h, list, {}, await tokenAt(retired, retiredAt - 100))
    expect(r.status).toBe(200)
    expect((await rawCall(h, list, {}, await tokenAt(active, now()))).status).toBe(200)
  })

  it('a token signed by the retired key with a forged recent iat is 401 at the api', async () => {
    const r = await rawCall(h, list, {}, await tokenAt(retired, now()))
    expect(r.status).toBe(401)
    expect(r.text).toContain('invalid access token (key_not_valid)')
    // Just past the window's skew is refused too; inside it is not.
    expect((await rawCall(h, list, {}, await tokenAt(retired, retiredAt + 61))).status).toBe(401)
    expect((await rawCall(h, list, {}, await tokenAt(retired, retiredAt + 59))).status).toBe(200)
  })

  it('a key removed from the key file is refused by the running servers, no restart', async () => {
    const before = await tokenAt(retired, retiredAt - 100)
    expect((await rawCall(h, list, {}, before)).status).toBe(200)
    const file = JSON.parse(await readFile(keyFile(), 'utf8')) as { keys: StoredSigningKey[] }
    await writeFile(keyFile(), JSON.stringify({ keys: file.keys.filter((k) => k.kid !== retired.kid) }))
    await reread()
    const r = await rawCall(h, list, {}, before)
    expect(r.status).toBe(401)
    expect(r.text).toContain('invalid access token (unknown_key)')
    expect((await rawCall(h, list, {}, await tokenAt(active, now()))).status).toBe(200)
    // The gateway publishes what the file holds: the removed key is gone from /jwks.
    const jwks = (await (await fetch(`${h.config.gatewayUrl}/jwks`)).json()) as { keys: { kid: string }[] }
    expect(jwks.keys.map((k) => k.kid)).toEqual([active.kid])
  })
})
