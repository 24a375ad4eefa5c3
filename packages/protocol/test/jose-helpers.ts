import { createHmac } from 'node:crypto'
import { importJWK, type JWK, SignJWT } from 'jose'
import type { ProtocolErrorCode } from '../src/errors.ts'
import { ProtocolError } from '../src/errors.ts'

export const b64 = (v: unknown) =>
  Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')

/** A compact JWS with an arbitrary header, signed by a private JWK (or unsigned when key is null). */
export async function rawJws(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: JWK | null,
) {
  if (key === null) return `${b64(header)}.${b64(payload)}.`
  const k = await importJWK(key, String(header.alg))
  return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(k)
}

/** An HS256 token keyed with a string (the classic "public key as HMAC secret" confusion). */
export function hs256(header: Record<string, unknown>, payload: Record<string, unknown>, secret: string) {
  const input = `${b64({ ...header, alg: 'HS256' })}.${b64(payload)}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}

/** Flips one character of the payload segment, keeping it valid base64url. */
export function tamper(jws: string): string {
  const [h, p, s] = jws.split('.') as [string, string, string]
  const json = JSON.parse(Buffer.from(p, 'base64url').toString())
  json.tampered = true
  return `${h}.${b64(json)}.${s}`
}

/** Awaits a promise that must reject with a ProtocolError of `code`; returns the error. */
export async function expectCode(p: Promise<unknown> | (() => unknown), code: ProtocolErrorCode) {
  let error: unknown
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (e) {
    error = e
  }
  if (!(error instanceof ProtocolError)) {
    throw new Error(`expected ProtocolError(${code}), got ${error === undefined ? 'success' : String(error)}`)
  }
  if (error.code !== code) throw new Error(`expected code ${code}, got ${error.code}: ${error.message}`)
  return error
}
