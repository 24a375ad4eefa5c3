import { appRouter } from '@federizer/api'
import type { NetworkNode } from './network.ts'

export interface OutgoingAttachment {
  filename: string
  mediaType: string
  bytes: Uint8Array
}

export interface OutgoingMail {
  from: string
  to?: string[]
  cc?: string[]
  bcc?: string[]
  subject: string
  text?: string
  html?: string
  attachments?: OutgoingAttachment[]
}

/** A tRPC caller of `node`'s api signed in as `email` (the webmail's view of the account). */
export async function mailCaller(node: NetworkNode, email: string) {
  if (!node.api) throw new Error(`the api of ${node.domain} is not running`)
  const token = await node.accessToken(email)
  return appRouter.createCaller({ api: node.api.ctx, authorization: `Bearer ${token}` })
}

/**
 * Sends mail as the webmail would: uploads each attachment to `POST /resources` over HTTP, saves a draft
 * and submits it through the api (which seals it and obtains the hop assertions from its AS). The
 * message leaves when the node's undo window (`undoSendSeconds`) has passed.
 */
export async function sendMail(node: NetworkNode, mail: OutgoingMail) {
  const token = await node.accessToken(mail.from)
  const attachments = []
  for (const a of mail.attachments ?? []) {
    const res = await fetch(`${node.apiUrl}/resources`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': a.mediaType, 'x-filename': a.filename },
      // A Buffer (ArrayBuffer-backed): a BodyInit under both the Node and the DOM typings.
      body: Buffer.from(a.bytes),
    })
    if (res.status !== 201)
      throw new Error(`upload of ${a.filename} failed: ${res.status} ${await res.text()}`)
    attachments.push(
      (await res.json()) as { contentId: string; size: number; mediaType: string; filename?: string },
    )
  }
  const caller = await mailCaller(node, mail.from)
  const addresses = (list?: string[]) => (list ?? []).map((address) => ({ address }))
  const draft = await caller.draft.save({
    to: addresses(mail.to),
    cc: addresses(mail.cc),
    bcc: addresses(mail.bcc),
    subject: mail.subject,
    ...(mail.text !== undefined ? { text: mail.text } : {}),
    ...(mail.html !== undefined ? { html: mail.html } : {}),
    attachments,
  })
  const sent = await caller.send.submit({ draftId: draft.id })
  return { rowId: draft.id, messageIdHeader: draft.messageIdHeader, holdUntil: sent.holdUntil, attachments }
}
