import type { Request } from 'express'
import { OAuthError } from './errors.ts'

/** Largest form body the AS reads (a send exchange carries an access token and ~12 headers). */
export const FORM_LIMIT_BYTES = 64 * 1024
/** Most parameters a form may have. */
export const FORM_PARAMETER_LIMIT = 50

/** Form parameters with RFC 6749 §3.1/§3.2 rules: each at most once, empty values treated as absent. */
export class FormParams {
  constructor(private readonly values: Map<string, string>) {}
  get(name: string): string | undefined {
    return this.values.get(name)
  }
  require(name: string): string {
    const value = this.values.get(name)
    if (value === undefined) throw new OAuthError('invalid_request', `the "${name}" parameter is required`)
    return value
  }
  has(name: string): boolean {
    return this.values.has(name)
  }
}

/** Reads `application/x-www-form-urlencoded` parameters; a repeated parameter is `invalid_request`. */
export function readForm(source: unknown): FormParams {
  const values = new Map<string, string>()
  if (typeof source !== 'object' || source === null) return new FormParams(values)
  for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
    if (Array.isArray(value))
      throw new OAuthError('invalid_request', `the "${name}" parameter appears more than once`)
    if (typeof value !== 'string')
      throw new OAuthError('invalid_request', `the "${name}" parameter is malformed`)
    if (value !== '') values.set(name, value)
  }
  return new FormParams(values)
}

/** The form body of a POST, refusing other media types (RFC 6749 §3.2). */
export function readBody(req: Request): FormParams {
  if (!req.is('application/x-www-form-urlencoded')) {
    throw new OAuthError('invalid_request', 'the body must be application/x-www-form-urlencoded')
  }
  return readForm(req.body)
}
