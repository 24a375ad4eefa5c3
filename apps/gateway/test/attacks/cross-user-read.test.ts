import { mailCaller, type Network, type NetworkNode } from '@federizer/devnet'
import type { Part, PlaceholderMessage } from '@federizer/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { db, messagesIn, openNetwork, PASSWORD, testBytes, waitFor } from '../federation-helpers.ts'

/**
 * Issue 12 item 1: an attacker controlling a whole domain (example.org: its DNS, AS, mailbox and disk)
 * mails mallory@example.com a placeholder naming the Content-ID of Alice's private upload. Alice's bytes
 * are already in example.com's shared store; Mallory must still never read them.
 */
let net: Awaited<ReturnType<typeof openNetwork>>
let network: Network

beforeAll(async () => {
  net = await openNetwork({
    domains: [
      {
        domain: 'example.com',
        users: [
          { email: 'alice@example.com', password: PASSWORD, name: 'Alice' },
          { email: 'mallory@example.com', password: PASSWORD, name: 'Mallory' },
        ],
      },
      {
        domain: 'example.net',
        users: [
          { email: 'bob@example.net', password: PASSWORD },
          { email: 'dave@example.net', password: PASSWORD },
        ],
      },
      { domain: 'example.org', users: [{ email: 'eve@example.org', password: PASSWORD }] },
    ],
  })
  network = net.network
}, 60_000)
afterAll(async () => {
  await net?.close()
})

async function upload(node: NetworkNode, email: string, bytes: Uint8Array, mediaType: string) {
  const res = await fetch(`${node.apiUrl}/resources`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${await node.accessToken(email)}`,
      'content-type': mediaType,
      'x-filename': 'secret.bin',
    },
    body: bytes,
  })
  expect(res.status).toBe(201)
  return (await res.json()) as { contentId: string; size: number; mediaType: string }
}

async function download(node: NetworkNode, email: string, contentId: string) {
  const res = await fetch(`${node.apiUrl}/resources/${contentId}`, {
    headers: { authorization: `Bearer ${await node.accessToken(email)}` },
  })
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) }
}

/** Rewrites every leaf of `parts` whose Content-ID is `from` to name `to` (with `size`). */
function renameLeaf(parts: Part[], from: string, to: { contentId: string; size: number }): Part[] {
  return parts.map((p) => ({
    headers: p.headers.map(([name, value]) => {
      if (name === 'Content-ID' && value === `<${from}>`) return [name, `<${to.contentId}>`]
      if (name === 'Content-Type' && Array.isArray(value) && p.headers.some(([, v]) => v === `<${from}>`))
        return [name, [value[0].replace(/size=\d+/, `size=${to.size}`), value[1]]]
      return [name, value]
    }),
    ...(p.parts ? { parts: renameLeaf(p.parts, from, to) } : {}),
  })) as Part[]
}

/**
 * The attacker's own mailbox, which it fully controls: Eve drafts a message to Mallory with a decoy text
 * and a decoy attachment, the attacker edits the stored draft so both leaves name Alice's Content-IDs,
 * and sends it through its own (real) api, AS and MTA, which sign and deliver it.
 */
async function attackerSends(victims: {
  text: { contentId: string; size: number }
  file: { contentId: string; size: number }
}) {
  const evil = network.node('example.org')
  const decoy = await upload(evil, 'eve@example.org', Buffer.from('decoy attachment'), 'application/pdf')
  const eve = await mailCaller(evil, 'eve@example.org')
  const draft = await eve.draft.save({
    to: [{ address: 'mallory@example.com' }],
    cc: [],
    bcc: [],
    subject: 'Your hash, please',
    text: 'decoy text',
    attachments: [{ ...decoy, filename: 'secret.pdf' }],
  })
  const evilDb = db(network, 'example.org')
  const row = await evilDb
    .selectFrom('messages')
    .select('placeholder')
    .where('id', '=', draft.id)
    .executeTakeFirstOrThrow()
  const placeholder = JSON.parse(row.placeholder) as PlaceholderMessage
  const textLeaf = JSON.stringify(placeholder.parts).match(/"Content-ID","<([A-Za-z0-9_-]{43})>"/)
  const decoyText = textLeaf?.[1]
  expect(decoyText).toBeDefined()
  let parts = renameLeaf(placeholder.parts, decoyText as string, victims.text)
  parts = renameLeaf(parts, decoy.contentId, victims.file)
  await evilDb
    .updateTable('messages')
    .set({ placeholder: JSON.stringify({ ...placeholder, parts }) })
    .where('id', '=', draft.id)
    .execute()
  await eve.send.submit({ draftId: draft.id })
  return draft.messageIdHeader
}

describe("attack: reading another user's resource by naming its Content-ID", () => {
  it("a foreign domain's placeholder naming Alice's private uploads gives Mallory neither bytes nor body", {
    timeout: 90_000,
  }, async () => {
    const home = network.node('example.com')
    const secretText = Buffer.from('Alice private note: the vault code is 7341\n')
    const secretFile = testBytes(20_000, 99)
    const text = await upload(home, 'alice@example.com', secretText, 'text/plain; charset=UTF-8')
    const file = await upload(home, 'alice@example.com', secretFile, 'application/pdf')
    expect(await home.gateway!.ctx.federation.resources.has(file.contentId)).toBe(true)

    const messageId = await attackerSends({ text, file })
    const homeDb = db(network, 'example.com')
    const copy = await waitFor(async () => {
      const [row] = await messagesIn(homeDb, 'mallory@example.com', 'inbox')
      return row?.message_id_header === messageId ? row : undefined
    }, "Mallory's copy of the attacker's message")
    // Mallory's own copy's fetch is what decides: wait until example.com asked example.org for both.
    await waitFor(async () => {
      const jobs = await homeDb
        .selectFrom('fetch_jobs')
        .select(['attempts', 'state'])
        .where('message_row_id', '=', copy.id)
        .execute()
      return jobs.length === 2 && jobs.every((j) => j.attempts > 0 || j.state !== 'queued')
    }, "example.com's fetch attempts for Mallory's copy")

    for (const contentId of [text.contentId, file.contentId]) {
      const got = await download(home, 'mallory@example.com', contentId)
      expect(got.status).toBe(404)
      expect(got.body.includes(secretText)).toBe(false)
      expect(got.body.includes(secretFile.subarray(0, 64))).toBe(false)
    }
    const mallory = await mailCaller(home, 'mallory@example.com')
    await expect(mallory.resource.downloadUrl({ contentId: file.contentId })).rejects.toThrow(
      /not in your mailbox/,
    )
    const {
      messages: [view],
    } = await mallory.message.get({ ids: [copy.id] })
    expect(view?.text).toBeNull()
    expect(view?.contentState).not.toBe('complete')
    expect(view?.resources.every((r) => !r.available)).toBe(true)
    // Forward by reference and drafts obey the same rule: Mallory cannot attach what she cannot read,
    // neither what her copy names (not fetched for it) nor any other Content-ID she learnt.
    const forward = (attachment: { contentId: string; size: number; mediaType: string }) =>
      mallory.draft.save({
        to: [{ address: 'eve@example.org' }],
        cc: [],
        bcc: [],
        subject: 'Fwd: Your hash, please',
        attachments: [{ ...attachment, filename: 'secret.pdf' }],
      })
    await expect(forward(file)).rejects.toThrow(/secret.pdf has not arrived yet/)
    const other = await upload(home, 'alice@example.com', testBytes(5_000, 3), 'application/pdf')
    await expect(forward(other)).rejects.toThrow(/you may not attach secret.pdf/)
    expect(await messagesIn(homeDb, 'mallory@example.com', 'drafts')).toEqual([])
    // Alice still reads her own uploads.
    expect((await download(home, 'alice@example.com', file.contentId)).status).toBe(200)
  })

  it('a real message still grants each recipient its fetched copy (two recipients of one domain)', {
    timeout: 60_000,
  }, async () => {
    const home = network.node('example.com')
    const bytes = testBytes(30_000, 5)
    const file = await upload(home, 'alice@example.com', bytes, 'application/pdf')
    const alice = await mailCaller(home, 'alice@example.com')
    const draft = await alice.draft.save({
      to: [{ address: 'bob@example.net' }, { address: 'dave@example.net' }],
      cc: [],
      bcc: [],
      subject: 'For both of you',
      text: 'Attached.',
      attachments: [{ ...file, filename: 'both.pdf' }],
    })
    await alice.send.submit({ draftId: draft.id })
    const peer = network.node('example.net')
    const peerDb = db(network, 'example.net')
    for (const who of ['bob@example.net', 'dave@example.net']) {
      await waitFor(async () => {
        const [row] = await messagesIn(peerDb, who, 'inbox')
        return row?.content_state === 'complete'
      }, `${who}'s copy complete`)
      const got = await download(peer, who, file.contentId)
      expect(got.status).toBe(200)
      expect(got.body.equals(bytes)).toBe(true)
    }
  })
})
