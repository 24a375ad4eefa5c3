import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, rm } from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'

/** A message refused while it streamed in: `code` is the SMTP reply code, `message` the text after it. */
export class SmtpRefusal extends Error {
  constructor(
    readonly responseCode: number,
    message: string,
  ) {
    super(message)
  }
}

export interface Spooled {
  path: string
  size: number
  open(): Readable
  remove(): Promise<void>
}

/** Most multipart bodies one message may carry (a bound on nesting and part count). */
const MAX_MULTIPARTS = 32

/**
 * Writes the DATA stream to a private spool file while checking it, so the message is never held
 * whole in memory: the size limit (RFC 1870), NUL bytes and bare CR or LF (RFC 5321 §2.3.8 — the SMTP
 * smuggling class: `\n.\n` and `\r\n.\n` end the data only for servers that accept a bare LF), and a
 * bound on multipart bodies. Refusals throw {@link SmtpRefusal}; the spool file is then removed.
 */
export async function spool(stream: Readable, dir: string, maxBytes: number): Promise<Spooled> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const file = path.join(dir, `in-${randomBytes(12).toString('hex')}.eml`)
  const handle = await open(file, 'wx', 0o600)
  let size = 0
  let prev = 0 // the byte before this chunk
  let multiparts = 0
  let refusal: SmtpRefusal | undefined
  let tail = '\r\n' // the first header line starts the message
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length
      if ((stream as { sizeExceeded?: boolean }).sizeExceeded || size > maxBytes) {
        refusal ??= new SmtpRefusal(552, `5.3.4 Message too big: the limit is ${maxBytes} bytes`)
        continue // drain the rest so the reply is read after the end of DATA
      }
      if (refusal) continue
      for (let i = 0; i < chunk.length; i++) {
        const b = chunk[i]
        const before = i === 0 ? prev : (chunk[i - 1] as number)
        const after = i + 1 < chunk.length ? chunk[i + 1] : undefined
        if (b === 0) refusal = new SmtpRefusal(554, '5.6.0 NUL bytes are not allowed in a message')
        else if (b === 0x0a && before !== 0x0d)
          refusal = new SmtpRefusal(
            554,
            '5.6.0 Bare LF in the message: lines must end with CRLF (RFC 5321 §2.3.8)',
          )
        else if (b === 0x0d && after !== undefined && after !== 0x0a)
          refusal = new SmtpRefusal(
            554,
            '5.6.0 Bare CR in the message: lines must end with CRLF (RFC 5321 §2.3.8)',
          )
        if (refusal) break
      }
      prev = chunk[chunk.length - 1] ?? prev
      const text = tail + chunk.toString('latin1')
      for (const m of text.matchAll(/\r\ncontent-type:[ \t]*multipart\//gi))
        if (m.index + m[0].length > tail.length) multiparts++
      tail = text.slice(-40)
      if (!refusal && multiparts > MAX_MULTIPARTS)
        refusal = new SmtpRefusal(554, `5.6.0 Too many nested multipart bodies (at most ${MAX_MULTIPARTS})`)
      if (!refusal) await handle.write(chunk)
    }
    if (refusal) throw refusal
    await handle.sync()
  } catch (e) {
    await handle.close().catch(() => {})
    await rm(file, { force: true })
    throw e
  }
  await handle.close()
  return {
    path: file,
    size,
    open: () => createReadStream(file),
    remove: () => rm(file, { force: true }),
  }
}
