// Issue 13, "Real parts in the tests": one domain (example.com) as 2 gateway + 2 api processes on a private
// PostgreSQL behind a private haproxy, sharing one data folder, talking to example.net (SQLite) through the
// dev network's real DNS. docs/operations.md ("Production layout") describes what this proves.
import { createDpopKey, createDpopProof } from '@federizer/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { haproxyInstalled, type Network, postgresInstalled, type ReplicatedDomain } from '../src/index.ts'
import {
  expectAllDelivered,
  inboundCount,
  type ReplicaTestbed,
  sendBatch,
  startReplicaTestbed,
  waitFor,
} from './replica-mail.ts'
import { authorizationRequest, browser, redeemCode, refresh, sendExchange, signIn } from './replica-oauth.ts'

const PASSWORD = 'correct horse battery staple'
const alice = { email: 'alice@example.com', password: PASSWORD }
const missing = [postgresInstalled() ? '' : 'PostgreSQL', haproxyInstalled() ? '' : 'haproxy'].filter(Boolean)
if (missing.length > 0)
  console.warn(
    `replica test skipped: ${missing.join(' and ')} not installed (scripts/test.sh installs Debian's postgresql and haproxy)`,
  )

let bed: ReplicaTestbed
let network: Network
let com: ReplicatedDomain

beforeAll(async () => {
  if (missing.length > 0) return
  bed = await startReplicaTestbed(PASSWORD)
  ;({ network, com } = bed)
}, 120_000)

afterAll(async () => bed?.stop(), 60_000)

const g1 = () => com.gateways[0]!.url
const g2 = () => com.gateways[1]!.url

describe.skipIf(missing.length > 0)('one domain as replicas behind haproxy on one PostgreSQL', () => {
  it('a DPoP proof accepted by replica 1 is refused when replayed to replica 2', async () => {
    const first = await sendExchange(com.config, g1(), alice.email)
    expect(first.status).toBe(200)
    const replay = await sendExchange(com.config, g2(), alice.email, first.proof)
    expect(replay.status).toBe(400)
    expect(replay.body.error).toBe('invalid_dpop_proof')
    expect(replay.body.error_description).toMatch(/already used/)
    // The same exchange with a fresh proof is fine on replica 2: only the replay was refused.
    expect((await sendExchange(com.config, g2(), alice.email)).status).toBe(200)
    // A proof for another URL than the public token endpoint is refused on any replica.
    const wrongHtu = await createDpopProof({
      key: await createDpopKey(),
      htm: 'POST',
      htu: `${g2()}/token`,
      now: Math.floor(Date.now() / 1000),
    })
    expect((await sendExchange(com.config, g2(), alice.email, wrongHtu)).body.error).toBe(
      'invalid_dpop_proof',
    )
  })

  it('a sign-in (authorization code + PKCE) through replica 1 is usable through replica 2', async () => {
    const { code, jar } = await signIn(com.config, g1(), alice)
    // The code cannot be redeemed with another verifier on replica 2 …
    const wrong = await redeemCode(com.config, g2(), code, 'x'.repeat(43))
    expect(wrong.status).toBe(400)
    expect(wrong.body.error).toBe('invalid_grant')
    const other = await signIn(com.config, g1(), alice)
    const tokens = await redeemCode(com.config, g2(), other.code, other.verifier)
    expect(tokens.status).toBe(200)
    const read = (api: string) =>
      fetch(`${api}/trpc/mailbox.list`, { headers: { authorization: `Bearer ${tokens.body.access_token}` } })
    // The access token from replica 2's AS reads the mailbox through either api replica.
    for (const api of com.apis) expect((await read(api.url)).status).toBe(200)
    // … and the code cannot be redeemed twice across replicas: the replay revokes what it issued
    // (RFC 6749 §4.1.2), on every api replica.
    expect((await redeemCode(com.config, g1(), other.code, other.verifier)).body.error).toBe('invalid_grant')
    for (const api of com.apis) expect((await read(api.url)).status).toBe(401)
    // The login session set by replica 1 signs in again on replica 2 without the form.
    const again = await jar.fetch(authorizationRequest(com.config, g2()).url)
    expect(again.status).toBe(303)
    expect(new URL(again.headers.get('location')!).searchParams.get('code')).toBeTruthy()
    // A browser without that session gets the form.
    expect((await browser().fetch(authorizationRequest(com.config, g2()).url)).status).toBe(200)
  })

  it('a refresh token rotated on one replica is reuse-detected on the other', async () => {
    const { code, verifier } = await signIn(com.config, g2(), alice)
    const first = (await redeemCode(com.config, g2(), code, verifier)).body
    const rotated = await refresh(com.config, g1(), first.refresh_token!)
    expect(rotated.status).toBe(200)
    expect(rotated.body.refresh_token).not.toBe(first.refresh_token)
    const reuse = await refresh(com.config, g2(), first.refresh_token!)
    expect(reuse.status).toBe(400)
    expect(reuse.body.error).toBe('invalid_grant')
    expect(reuse.body.error_description).toMatch(/already used/)
    // Reuse revokes the family: the rotated token is dead on the replica that issued it.
    const stolen = await refresh(com.config, g1(), rotated.body.refresh_token!)
    expect(stolen.body.error).toBe('invalid_grant')
    expect(stolen.body.error_description).toMatch(/revoked/)
  })

  it('300 deliveries with fetches, one gateway replica SIGKILLed mid-run and restarted: each delivered once, bytes intact', {
    timeout: 120_000,
  }, async () => {
    const batch = sendBatch(network, 0, 300)
    // Awaited below; a failure before that must not surface as an unhandled rejection after the teardown.
    batch.sent.catch(() => undefined)
    await waitFor(async () => (await inboundCount(com)) >= 60, 'the first deliveries', 60_000)
    const victim = com.gateways[0]!
    const pid = victim.child!.pid!
    await victim.kill('SIGKILL')
    expect(() => process.kill(pid, 0)).toThrow()
    // Cut off mid-run: not everything had arrived (otherwise the crash proves nothing).
    expect(await inboundCount(com)).toBeLessThan(300)
    await victim.start()
    await batch.sent
    await expectAllDelivered(com, network, batch.mail)
  })
})
