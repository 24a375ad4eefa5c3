import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { FORWARD_HEADERS, SEND_HEADERS } from '../src/as/exchange-headers.ts'
import { FederationError, type FederationErrorCode } from '../src/federation/errors.ts'

const root = new URL('../../../', import.meta.url)
const protocolMd = readFileSync(new URL('docs/protocol.md', root), 'utf8')
const openapi = readFileSync(new URL('openapi/federizer.yaml', root), 'utf8')
const architecture = readFileSync(new URL('docs/architecture.md', root), 'utf8')
const section8 = protocolMd.slice(protocolMd.indexOf('## 8. Error codes'))
const unionOf = (file: string, type: string) => {
  const text = readFileSync(new URL(file, root), 'utf8')
  const body = text.slice(text.indexOf(`export type ${type} =`)).split(/\n\n/)[0] ?? ''
  return [...body.matchAll(/\|\s*'([a-z_]+)'/g)].map((m) => m[1]!)
}

describe('docs/protocol.md §8 lists every error code the code can answer', () => {
  it('every federation error code, with the status the gateway answers', () => {
    const codes = unionOf('apps/gateway/src/federation/errors.ts', 'FederationErrorCode')
    expect(codes.length).toBeGreaterThan(10)
    for (const code of codes) {
      const row = new RegExp(`^\\| \`${code}\` \\| (\\d{3}) \\|`, 'm').exec(section8)
      expect(row, `no row for ${code}`).not.toBeNull()
      expect(Number(row![1]), code).toBe(new FederationError(code as FederationErrorCode, '').status)
    }
  })

  it('every protocol error code, and every hop code of the chain verification table (§3)', () => {
    const protocolCodes = unionOf('packages/protocol/src/errors.ts', 'ProtocolErrorCode')
    expect(protocolCodes).toContain('missing_kid')
    const section3 = protocolMd.slice(protocolMd.indexOf('## 3.'), protocolMd.indexOf('## 4.'))
    const hopCodes = [...section3.matchAll(/\| [^|\n]+\| ([^|\n]*`[a-z_]+`[^|\n]*)\|\s*$/gm)].flatMap((m) =>
      [...m[1]!.matchAll(/`([a-z_]+)`/g)].map((c) => c[1]!),
    )
    expect(hopCodes).toContain('eht_mismatch')
    for (const code of [...protocolCodes, ...hopCodes]) expect(section8, code).toContain(`\`${code}\``)
  })
})

describe('the signed-header lists of docs/protocol.md §3 and openapi are the ones the AS signs', () => {
  const section3 = protocolMd.slice(protocolMd.indexOf('## 3.'), protocolMd.indexOf('## 4.'))
  const step = (n: number) => section3.slice(section3.indexOf(`${n}. **`), section3.indexOf(`${n + 1}. **`))
  const tokenHeaders = openapi.slice(openapi.indexOf('Modes 1 and 2: JSON array'))
  const modes = tokenHeaders.slice(0, tokenHeaders.indexOf('contentMediaType'))
  it('send (mode 1): every name the AS accepts, Content-Type included', () => {
    for (const name of [...SEND_HEADERS.required, ...SEND_HEADERS.optional]) {
      expect(step(1), name).toContain(name)
      expect(modes.slice(0, modes.indexOf('Forward:')), name).toContain(name)
    }
  })
  it('forward (mode 2): Date required, Received signed', () => {
    expect(FORWARD_HEADERS.required).toContain('Date')
    for (const name of [...FORWARD_HEADERS.required, ...FORWARD_HEADERS.optional]) {
      expect(step(3), name).toContain(name)
      expect(modes.slice(modes.indexOf('Forward:')), name).toContain(name)
    }
    expect(step(3)).toMatch(/Date required/)
    expect(modes).toMatch(/Date \(required\)/)
  })
})

describe('docs/architecture.md', () => {
  it('names the fetch token audience as the code checks it: the origin mailbox resource_url', () => {
    const row = architecture.split('\n').find((l) => l.startsWith('| fetch access token'))
    expect(row).toContain("`aud` = the origin mailbox's `resource_url`")
    expect(architecture).not.toMatch(/origin gateway URL/)
  })
})
