import { describe, expect, it } from 'vitest'
import { ConfigError, parseWebConfig } from './config.ts'

const good = {
  issuer: 'http://127.0.0.1:4000/',
  clientId: 'webmail',
  apiUrl: 'http://127.0.0.1:4001',
  domain: 'example.com',
}

describe('config.json', () => {
  it('accepts a valid document and trims trailing slashes', () => {
    expect(parseWebConfig(good)).toEqual({ ...good, issuer: 'http://127.0.0.1:4000' })
  })

  it.each([
    [null, /JSON object/],
    [{ ...good, clientId: '' }, /clientId/],
    [{ ...good, issuer: 'javascript:alert(1)' }, /issuer/],
    [{ ...good, apiUrl: 'not a url' }, /apiUrl/],
    [{ ...good, domain: 3 }, /domain/],
  ])('rejects %j', (value, message) => {
    expect(() => parseWebConfig(value)).toThrow(ConfigError)
    expect(() => parseWebConfig(value)).toThrow(message)
  })
})
