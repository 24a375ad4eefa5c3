import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import type { AppRouter } from '@federizer/api'
import type { DomainConfig } from '@federizer/node'
import { signAccessToken } from '@federizer/protocol'
import { loadOrCreateDomainKeys } from '@federizer/store'
import { createTRPCClient, httpBatchLink } from '@trpc/client'
import { CliError } from './cli-error.ts'

export type MailClient = ReturnType<typeof mailClient>

/**
 * The typed tRPC client of a domain's api, the same one the webmail uses. The token is either the
 * user's own (FEDERIZER_TOKEN) or, for an operator on the mail host, a 5-minute access token signed with
 * the domain's AS key from the data folder (the operator can read that folder anyway).
 */
export async function operatorToken(config: DomainConfig, account: string): Promise<string> {
  const keys = await loadOrCreateDomainKeys(config)
  const now = Math.floor(Date.now() / 1000)
  return signAccessToken(
    {
      iss: config.gatewayUrl,
      sub: account.toLowerCase(),
      email: account.toLowerCase(),
      aud: config.apiUrl,
      client_id: config.webClientId,
      scope: 'mail',
      iat: now,
      exp: now + 300,
      jti: crypto.randomUUID(),
    },
    keys.activeSigningKey(now),
  )
}

export function mailClient(apiUrl: string, token: string) {
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: `${apiUrl}/trpc`, headers: () => ({ authorization: `Bearer ${token}` }) })],
  })
}

/** Uploads a file as a stream to `POST /resources` and returns its reference. */
async function uploadFile(apiUrl: string, token: string, file: string) {
  const info = await stat(file).catch(() => {
    throw new CliError(`cannot read attachment ${file}`)
  })
  const res = await fetch(`${apiUrl}/resources`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': mediaTypeOf(file),
      'content-length': String(info.size),
      'x-filename': encodeURIComponent(path.basename(file)),
    },
    body: await readFile(file),
  })
  if (res.status !== 201) throw new CliError(`upload of ${file} failed: ${res.status} ${await res.text()}`)
  return (await res.json()) as { contentId: string; size: number; mediaType: string; filename?: string }
}

const types: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.pdf': 'application/pdf',
  '.txt': 'text/plain',
  '.html': 'text/html',
  '.zip': 'application/zip',
}

function mediaTypeOf(file: string): string {
  return types[path.extname(file).toLowerCase()] ?? 'application/octet-stream'
}

export interface SendArgs {
  to: string[]
  cc: string[]
  bcc: string[]
  subject: string
  text?: string
  attach: string[]
}

export async function sendCommand(apiUrl: string, token: string, args: SendArgs, out: (l: string) => void) {
  if (args.to.length + args.cc.length + args.bcc.length === 0)
    throw new CliError('send needs at least one --to, --cc or --bcc')
  const client = mailClient(apiUrl, token)
  const attachments = []
  for (const file of args.attach) attachments.push(await uploadFile(apiUrl, token, file))
  const list = (xs: string[]) => xs.map((address) => ({ address }))
  const draft = await client.draft.save.mutate({
    to: list(args.to),
    cc: list(args.cc),
    bcc: list(args.bcc),
    subject: args.subject,
    ...(args.text !== undefined ? { text: args.text } : {}),
    attachments,
  })
  const sent = await client.send.submit.mutate({ draftId: draft.id })
  out(
    `queued ${draft.messageIdHeader} (id ${draft.id}); leaves at ${new Date(sent.holdUntil * 1000).toISOString()}`,
  )
}

export async function listCommand(apiUrl: string, token: string, mailbox: string, out: (l: string) => void) {
  const client = mailClient(apiUrl, token)
  const boxes = await client.mailbox.list.query()
  const box = boxes.find((b) => b.role === mailbox || b.name.toLowerCase() === mailbox.toLowerCase())
  if (!box) throw new CliError(`no mailbox "${mailbox}": ${boxes.map((b) => b.role ?? b.name).join(', ')}`)
  const page = await client.message.list.query({ mailboxId: box.id, limit: 50 })
  for (const m of page.items) {
    const flags = `${m.keywords.includes('$seen') ? ' ' : '*'}${m.hasAttachments ? '@' : ' '}`
    const when = new Date(m.receivedAt * 1000).toISOString().slice(0, 16).replace('T', ' ')
    out(`${m.id}  ${flags} ${when}  ${(m.from.name ?? m.from.address).padEnd(24).slice(0, 24)}  ${m.subject}`)
  }
  if (page.items.length === 0) out(`(${box.name} is empty)`)
}

export async function showCommand(apiUrl: string, token: string, id: string, out: (l: string) => void) {
  const client = mailClient(apiUrl, token)
  const result = await client.message.get.query({ ids: [id] })
  const m = result.messages[0]
  if (!m) throw new CliError(`no message ${id} in this mailbox`)
  out(`From:    ${m.from.name ? `${m.from.name} <${m.from.address}>` : m.from.address}`)
  out(`Subject: ${m.subject}`)
  out(`Content: ${m.contentState}${m.contentReason ? ` (${m.contentReason})` : ''}`)
  for (const r of m.resources) {
    out(
      `  ${r.disposition.padEnd(10)} ${r.mediaType.padEnd(24)} ${String(r.size).padStart(10)}  ${r.filename ?? ''}  ${r.available ? '' : '(not here yet)'}`,
    )
  }
  if (m.deliveryStatus.length) {
    out('Delivery:')
    for (const s of m.deliveryStatus) out(`  ${s.recipient}: ${s.state}${s.detail ? ` — ${s.detail}` : ''}`)
  }
  if (m.chainVerification) out(`Chain:   ${JSON.stringify(m.chainVerification, null, 2)}`)
  if (m.text) out(`\n${m.text}`)
}
