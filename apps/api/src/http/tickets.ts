import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'

/** Download tickets live 5 minutes: long enough to start a download from a plain link. */
export const TICKET_TTL_SECONDS = 300
const SECRET_FILE = 'api-ticket.key'

export interface TicketPayload {
  /** Account the ticket was issued to. */
  a: string
  /** Content-ID. */
  c: string
  /** Expiry, epoch seconds. */
  e: number
  /** File name for Content-Disposition. */
  f?: string
  /** Media type to answer with. */
  t?: string
  /** 1: open in the browser's own viewer (inline), allowed for application/pdf only. */
  i?: 1
}

/**
 * Reads (or creates once, race-free across processes) the 256-bit HMAC key of download tickets in the
 * keys folder, so every api replica of the domain accepts the same tickets.
 */
export async function loadTicketSecret(keysDir: string): Promise<Buffer> {
  const file = path.join(keysDir, SECRET_FILE)
  await fs.mkdir(keysDir, { recursive: true, mode: 0o700 })
  try {
    return Buffer.from((await fs.readFile(file, 'utf8')).trim(), 'base64url')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
  }
  const temp = `${file}.${randomUUID()}.tmp`
  await fs.writeFile(temp, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' })
  try {
    await fs.link(temp, file)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
  } finally {
    await fs.rm(temp, { force: true })
  }
  return Buffer.from((await fs.readFile(file, 'utf8')).trim(), 'base64url')
}

const mac = (secret: Buffer, body: string) => createHmac('sha256', secret).update(body).digest('base64url')

export function signTicket(secret: Buffer, payload: TicketPayload): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url')
  return `${body}.${mac(secret, body)}`
}

/** The ticket's payload when its MAC is right, it names `contentId` and it has not expired; else undefined. */
export function verifyTicket(
  secret: Buffer,
  ticket: string,
  contentId: string,
  now: number,
): TicketPayload | undefined {
  const [body, sig, extra] = ticket.split('.')
  if (!body || !sig || extra !== undefined) return undefined
  const expected = Buffer.from(mac(secret, body))
  const given = Buffer.from(sig)
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined
  let payload: TicketPayload
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as TicketPayload
  } catch {
    return undefined
  }
  if (
    payload.c !== contentId ||
    typeof payload.e !== 'number' ||
    payload.e < now ||
    typeof payload.a !== 'string'
  ) {
    return undefined
  }
  return payload
}
