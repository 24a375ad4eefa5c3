/**
 * The attack suite's shared harness (issue 12, "The attack suite"): real nodes on loopback (devnet: a
 * real DNS server, gateways, apis, SQLite files), one of them controlled by the attacker. The attacker's
 * domain is a genuine Federizer domain (its own SRV records, AS, JWKS and mailbox): the test drives its
 * keys directly to sign hostile assertions, exactly what someone owning a whole domain can do.
 *
 * Each case asserts four things, with the helpers below:
 *   1. the status (`expectRefused`),
 *   2. a clear error body: JSON `error` + a sentence in `error_description`, no stack trace or file path,
 *   3. nothing stored or queued (`snapshot` before, `expectNothingStored` after: rows in every table that
 *      holds mail, accounts, grants or jobs, and the files under the resource directory),
 *   4. the node still serves good mail afterwards (`expectGoodMail`).
 */
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { type Network, type NetworkNode, type OutgoingAttachment, sendMail } from '@federizer/devnet'
import { domainPaths } from '@federizer/node'
import {
  createDpopKey,
  createDpopProof,
  type HopAssertionInput,
  lastAssertion,
  type PlaceholderMessage,
  signHopAssertion,
} from '@federizer/protocol'
import type { OutboxRow } from '@federizer/store'
import type { JWK } from 'jose'
import { expect } from 'vitest'
import { db, openNetwork, PASSWORD, threeDomains, waitFor } from '../federation-helpers.ts'

/** The domain the attacker controls end to end (DNS records, AS, MTA key and mailbox). */
export const ATTACKER = 'attacker.example'
export const MALLORY = `mallory@${ATTACKER}`
/** The victim node every case aims at, and the honest sender whose mail must keep flowing. */
export const VICTIM = 'example.net'
export const BOB = 'bob@example.net'
export const HONEST = 'example.com'
export const ALICE = 'alice@example.com'

export type AttackNet = Awaited<ReturnType<typeof openAttackNetwork>>

/**
 * Starts example.com (Alice), example.net (Bob, the victim), example.org and the attacker's domain, each
 * with its gateway and api. `undoSendSeconds` (default 0) holds sent mail so a case can take the
 * genuine placeholder and tamper with it before the MTA delivers it.
 */
export async function openAttackNetwork(
  options: {
    undoSendSeconds?: number
    limits?: Parameters<typeof openNetwork>[0]['limits']
    logger?: Parameters<typeof openNetwork>[0]['logger']
  } = {},
) {
  const net = await openNetwork({
    domains: [
      ...threeDomains(),
      { domain: ATTACKER, users: [{ email: MALLORY, password: PASSWORD, name: 'Mallory' }] },
    ],
    ...(options.undoSendSeconds !== undefined ? { undoSendSeconds: options.undoSendSeconds } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  })
  const { network } = net
  return {
    ...net,
    node: (domain: string) => network.node(domain),
    /** The attacker's own AS, driven directly. */
    attacker: attackerControls(network.node(ATTACKER)),
  }
}

/** What owning a domain gives: its AS signing key and its MTA's client key, usable at will. */
function attackerControls(node: NetworkNode) {
  const ctx = () => {
    if (!node.gateway) throw new Error(`${ATTACKER} is stopped`)
    return node.gateway.ctx
  }
  return {
    node,
    issuer: node.config.gatewayUrl,
    mtaClientId: node.config.mtaClientId,
    mtaClientKey: () => ctx().federation.keys.mtaClientKey,
    /** Signs any hop assertion with the attacker AS's genuine key (the claims are the attacker's choice). */
    async signHop(claims: HopAssertionInput): Promise<string> {
      return signHopAssertion(claims, await ctx().as.signingKey())
    },
  }
}

export interface Reply {
  status: number
  headers: Headers
  contentType: string
  text: string
  /** The parsed JSON body, or undefined when the body is not JSON. */
  json: Record<string, unknown> | undefined
}

/** One HTTP request; the reply is read fully (never throws on a status). */
export async function request(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, { redirect: 'manual', ...init })
  const text = await res.text()
  let json: Record<string, unknown> | undefined
  try {
    const parsed = JSON.parse(text)
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed
  } catch {
    // not JSON
  }
  return {
    status: res.status,
    headers: res.headers,
    contentType: res.headers.get('content-type') ?? '',
    text,
    json,
  }
}

/** Traces of an internal fault in a body: a stack frame, a source path, a Node error name. */
const LEAK = /\n\s+at |\.ts:\d|\.js:\d|node_modules|\/src\/|TypeError|ReferenceError|SQLITE_/

/** Asserts that nothing in `text` reveals the server's internals. */
export function expectNoLeak(text: string): void {
  expect(text, 'the body shows internals').not.toMatch(LEAK)
}

/**
 * Asserts a refusal a person can act on: the exact `status`, a JSON body with the stable `error` code
 * (when given) and a sentence in `error_description` (or `message` for tRPC), no internals.
 */
export function expectRefused(reply: Reply, status: number, error?: string | RegExp): void {
  expect(reply.status, `status (body: ${reply.text.slice(0, 300)})`).toBe(status)
  expectNoLeak(reply.text)
  expect(reply.json, `a JSON error body (got: ${reply.text.slice(0, 200)})`).toBeDefined()
  const body = reply.json as Record<string, unknown>
  const trpc = (body.error as { message?: unknown; data?: { code?: unknown } } | undefined) ?? undefined
  const code = typeof body.error === 'string' ? body.error : trpc?.data?.code
  const sentence =
    typeof body.error_description === 'string'
      ? body.error_description
      : typeof body.message === 'string'
        ? body.message
        : trpc?.message
  if (error !== undefined) {
    if (typeof error === 'string') expect(code).toBe(error)
    else expect(String(code)).toMatch(error)
  }
  expect(typeof sentence, `a sentence explaining the refusal in ${reply.text.slice(0, 200)}`).toBe('string')
  expect((sentence as string).length).toBeGreaterThan(8)
}

/** Asserts a refusal shown as an HTML page (the sign-in pages): the status, a readable title, no internals. */
export function expectRefusedPage(reply: Reply, status: number): void {
  expect(reply.status, `status (body: ${reply.text.slice(0, 300)})`).toBe(status)
  expectNoLeak(reply.text)
  expect(reply.contentType).toMatch(/text\/html/)
  expect(reply.text).toMatch(/<title>[^<]{4,}<\/title>/)
}

/** Asserts the reply is not a server fault (the mixed load's invariant). */
export function expectNot5xx(reply: Reply, what: string): void {
  expect(reply.status, `${what}: ${reply.text.slice(0, 300)}`).toBeLessThan(500)
}

/**
 * Tables whose rows a refused request must not change: mail, grants, accounts, queues, sessions.
 * Replay caches are left out on purpose: remembering a refused proof's jti is the defence itself.
 */
export const GUARDED_TABLES = [
  'users',
  'account_state',
  'mailboxes',
  'messages',
  'tombstones',
  'resource_refs',
  'uploads',
  'delivery_status',
  'outbox',
  'account_settings',
  'contacts',
  'inbound_deliveries',
  'fetch_jobs',
  'forward_jobs',
  'auth_codes',
  'refresh_tokens',
  'as_sessions',
] as const

export interface Snapshot {
  rows: Record<string, number>
  files: string[]
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (d: string) => {
    let entries: import('node:fs').Dirent[]
    try {
      entries = await readdir(d, { withFileTypes: true })
    } catch {
      return
    }
    for (const e of entries) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) await walk(p)
      else out.push(path.relative(dir, p))
    }
  }
  await walk(dir)
  return out.sort()
}

/** Row counts of every guarded table and the resource directory's files of `domain`'s node. */
export async function snapshot(network: Network, domain: string): Promise<Snapshot> {
  const d = db(network, domain)
  const rows: Record<string, number> = {}
  for (const table of GUARDED_TABLES) {
    const r = await d
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow()
    rows[table] = Number(r.n)
  }
  const files = await listFiles(domainPaths(network.node(domain).config).resources)
  return { rows, files }
}

/** Asserts `domain` holds exactly what it held at `before` (no row, no file, no job). */
export async function expectNothingStored(network: Network, domain: string, before: Snapshot): Promise<void> {
  const after = await snapshot(network, domain)
  expect(after.rows, `rows of ${domain}`).toEqual(before.rows)
  expect(after.files, `resource files of ${domain}`).toEqual(before.files)
}

let goodCounter = 0

/**
 * Sends one honest message Alice → Bob through the real api and MTA and waits until Bob's copy is
 * complete: the node still serves good mail.
 */
export async function expectGoodMail(network: Network, timeoutMs = 30_000): Promise<void> {
  goodCounter++
  const sent = await sendMail(network.node(HONEST), {
    from: ALICE,
    to: [BOB],
    subject: `Still works ${goodCounter}`,
    text: `Good mail ${goodCounter} ${Date.now()}`,
  })
  // Release it at once even when the network holds sent mail for an undo window.
  await db(network, HONEST)
    .updateTable('outbox')
    .set({ next_attempt_at: 0 })
    .where('message_row_id', '=', sent.rowId)
    .execute()
  await waitFor(
    () =>
      db(network, VICTIM)
        .selectFrom('messages')
        .select('id')
        .where('account', '=', BOB)
        .where('message_id_header', '=', sent.messageIdHeader)
        .where('content_state', '=', 'complete')
        .executeTakeFirst(),
    `good mail ${sent.messageIdHeader} to arrive complete`,
    timeoutMs,
  )
}

/** Waits until the node has no pending fetch or forward job (so a snapshot is stable). */
export async function settle(network: Network, domain: string): Promise<void> {
  const d = db(network, domain)
  await waitFor(async () => {
    const pending = await d
      .selectFrom('fetch_jobs')
      .select('id')
      .where('state', '=', 'queued')
      .executeTakeFirst()
    return !pending
  }, `${domain}'s jobs to settle`)
}

export type DpopKey = { privateJwk: JWK; publicJwk: JWK }

/** A fresh DPoP proof for `method url` bound to `token` (RFC 9449 §4.2). */
export async function proofFor(key: DpopKey, method: string, url: string, token?: string) {
  return createDpopProof({
    key,
    htm: method,
    htu: url,
    ...(token ? { accessToken: token } : {}),
    now: Math.floor(Date.now() / 1000),
  })
}

/** A new DPoP key pair. */
export const newKey = async (): Promise<DpopKey> => {
  const k = await createDpopKey()
  return { privateJwk: k.privateJwk, publicJwk: k.publicJwk }
}

/**
 * Mallory's genuine outgoing message to `to`, held by the attacker node's undo window (start the network
 * with `undoSendSeconds`): its placeholder, the DPoP key bound to its assertion, and the outbox row.
 */
export async function attackerMessage(
  network: Network,
  to = [BOB],
  text = `From Mallory ${Date.now()} ${Math.random()}`,
  attachments: OutgoingAttachment[] = [],
) {
  const sent = await sendMail(network.node(ATTACKER), {
    from: MALLORY,
    to,
    subject: 'Hello',
    text,
    attachments,
  })
  const row = (await db(network, ATTACKER)
    .selectFrom('outbox')
    .selectAll()
    .where('message_row_id', '=', sent.rowId)
    .executeTakeFirstOrThrow()) as OutboxRow
  const placeholder = JSON.parse(row.placeholder) as PlaceholderMessage
  return {
    sent,
    row,
    placeholder,
    key: JSON.parse(row.dpop_key) as DpopKey,
    token: lastAssertion(placeholder) ?? '',
  }
}

/** POSTs a delivery to the victim's gateway with `token` and a proof by `key` (or raw parts). */
export async function deliver(
  network: Network,
  input: {
    body: string | Buffer
    token: string
    key: DpopKey
    proof?: string
    headers?: Record<string, string>
    domain?: string
  },
): Promise<Reply> {
  const url = `${network.node(input.domain ?? VICTIM).gatewayUrl}/federizer/deliveries`
  return request(url, {
    method: 'POST',
    headers: {
      authorization: `DPoP ${input.token}`,
      dpop: input.proof ?? (await proofFor(input.key, 'POST', url, input.token)),
      'content-type': 'application/json',
      ...input.headers,
    },
    body: input.body,
  })
}
