/**
 * Hostile deliveries that answered 500 (issue 12, "Also found by hostile input" and the low items), and
 * item 14: a real internal fault at the federation edge is logged with its cause and request id and
 * answered 500 with a generic body — never a disguised 503 refusal. Each refusal: status, clear body,
 * nothing stored or queued, good mail still flows.
 */
import { Writable } from 'node:stream'
import { jwtAssertionDigest } from '@federizer/protocol'
import pino from 'pino'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { db } from '../federation-helpers.ts'
import {
  type AttackNet,
  attackerMessage,
  BOB,
  deliver,
  expectGoodMail,
  expectNoLeak,
  expectNothingStored,
  expectRefused,
  openAttackNetwork,
  type Snapshot,
  settle,
  snapshot,
  VICTIM,
} from './harness.ts'

let net: AttackNet
let before: Snapshot
const logLines: Array<Record<string, unknown>> = []

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logLines.push(JSON.parse(line))
      done()
    },
  })
  net = await openAttackNetwork({ undoSendSeconds: 3600, logger: pino({ level: 'warn' }, sink) })
}, 90_000)
afterAll(async () => {
  await net?.close()
})
beforeEach(async () => {
  before = await snapshot(net.network, VICTIM)
})
afterEach(async (c) => {
  if (c.task.result?.state === 'fail') return
  await expectNothingStored(net.network, VICTIM, before)
})

/** Valid JSON nested `depth` levels: `[[…]]`, or `{"a":{"a":…1}}`. */
const nested = (depth: number, open = '[', close = ']') =>
  `${open.repeat(depth)}${open.startsWith('{') ? '1' : ''}${close.repeat(depth)}`

describe('deeply nested JSON (tens of thousands of levels) → 400, bounded before parsing', () => {
  for (const where of ['placeholder', 'recipients', 'parts'] as const) {
    it(`in the ${where}`, async () => {
      const m = await attackerMessage(net.network)
      const placeholder = JSON.stringify(m.placeholder)
      const deep = nested(50_000)
      const body =
        where === 'placeholder'
          ? `{"placeholder":{"envelope":${deep},"parts":[]},"recipients":["${BOB}"]}`
          : where === 'recipients'
            ? `{"placeholder":${placeholder},"recipients":${deep}}`
            : `{"placeholder":${placeholder.replace('"parts":[', `"parts":[${nested(30_000, '{"a":', '}')},`)},"recipients":["${BOB}"]}`
      const reply = await deliver(net.network, { body, token: m.token, key: m.key })
      expectRefused(reply, 400, 'invalid_request')
      expect(reply.json?.error_description).toMatch(/levels deep/)
    })
  }
  it('nesting inside strings does not count', async () => {
    const m = await attackerMessage(net.network)
    const tampered = JSON.parse(JSON.stringify(m.placeholder))
    tampered.padding = nested(2000)
    const reply = await deliver(net.network, {
      body: JSON.stringify({ placeholder: tampered, recipients: [BOB] }),
      token: m.token,
      key: m.key,
    })
    // Refused for what it is (an unknown member), not for its depth.
    expect(reply.status).toBe(400)
    expect(reply.json?.error_description).not.toMatch(/levels deep/)
  })
})

describe('a delivery with a receipt already on top', () => {
  it('→ 400 invalid_chain (was 500)', async () => {
    const m = await attackerMessage(net.network)
    const date = new Date().toUTCString().replace('GMT', '+0000')
    const receipt = {
      headers: [
        [
          'Message-ID',
          (m.placeholder.envelope.at(-1) as { headers: [string, string][] }).headers.find(
            ([n]) => n === 'Message-ID',
          )?.[1],
        ],
        ['JWT-Assertion-Digest', `<${jwtAssertionDigest(m.token)}>`],
        ['Received', `from attacker.example by ${VICTIM}; ${date}`],
      ],
    }
    const placeholder = { ...m.placeholder, envelope: [receipt, ...m.placeholder.envelope] }
    const reply = await deliver(net.network, {
      body: JSON.stringify({ placeholder, recipients: [BOB] }),
      token: m.token,
      key: m.key,
    })
    expectRefused(reply, 400, 'invalid_chain')
    expect(reply.json?.error_description).toMatch(/receipt/)
  })
})

describe('an internal fault at the federation edge (item 14)', () => {
  it('is logged with its cause and request id, and answered 500 with a generic body', {
    timeout: 60_000,
  }, async () => {
    const m = await attackerMessage(net.network)
    // A real fault: the table the delivery writes to is missing (an operator's broken restore).
    const victim = db(net.network, VICTIM)
    await victim.schema.alterTable('inbound_deliveries').renameTo('inbound_deliveries_away').execute()
    let reply: Awaited<ReturnType<typeof deliver>>
    try {
      reply = await deliver(net.network, {
        body: JSON.stringify({ placeholder: m.placeholder, recipients: [BOB] }),
        token: m.token,
        key: m.key,
        headers: { 'x-request-id': 'fault-test-1' },
      })
    } finally {
      await victim.schema.alterTable('inbound_deliveries_away').renameTo('inbound_deliveries').execute()
    }
    expect(reply.status).toBe(500)
    expect(reply.headers.get('retry-after')).toBeNull()
    expect(reply.json).toEqual({
      error: 'server_error',
      error_description: 'the server could not process the request; try again later',
    })
    expectNoLeak(reply.text)
    const logged = logLines.find((l) => l.reqId === 'fault-test-1' && l.msg === 'federation request failed')
    expect(logged, JSON.stringify(logLines.slice(-5))).toBeDefined()
    expect(JSON.stringify(logged?.err)).toMatch(/inbound_deliveries/)
    expect(logged?.level).toBe(50) // error, not a warning about a refusal
    // The answer's request id is the one logged, so an operator can find the cause.
    expect(reply.headers.get('x-request-id')).toBe('fault-test-1')
  })
})

describe('afterwards', () => {
  it('the victim still serves good mail', { timeout: 60_000 }, async () => {
    await expectGoodMail(net.network)
    await settle(net.network, VICTIM)
    before = await snapshot(net.network, VICTIM)
  })
})
