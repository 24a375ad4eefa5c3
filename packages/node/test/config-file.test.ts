import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, configFromObject, loadConfigFile } from '../src/config-file.ts'

const good = {
  domain: 'example.com',
  dataDir: '/var/lib/federizer/example.com',
  gatewayUrl: 'https://mx.example.com',
  apiUrl: 'https://mail.example.com',
}

describe('configuration file', () => {
  it('fills the production defaults', () => {
    const c = configFromObject(good)
    expect(c.domain).toMatchObject({
      domain: 'example.com',
      mtaClientId: 'mta.example.com',
      webClientId: 'webmail.example.com',
      allowInsecureTargets: false,
      undoSendSeconds: 10,
    })
    expect(c.domain.dnsServers).toBeUndefined()
    expect(c.listen).toEqual({
      gateway: { host: '127.0.0.1', port: 443 },
      api: { host: '127.0.0.1', port: 443 },
    })
  })

  it('refuses http URLs outside development, naming the field', () => {
    expect(() => configFromObject({ ...good, gatewayUrl: 'http://mx.example.com' })).toThrow(
      /gatewayUrl: must be an https:\/\/ URL/,
    )
    expect(
      configFromObject({ ...good, gatewayUrl: 'http://localhost:4101', development: true }).domain
        .allowInsecureTargets,
    ).toBe(true)
  })

  it.each([
    [{ ...good, domain: 'Example.COM' }, /domain: must be a lower-case DNS name/],
    [{ ...good, dataDir: '' }, /dataDir/],
    [{ ...good, apiUrl: 'https://mail.example.com/' }, /apiUrl: must not end with "\/"/],
    [{ ...good, undoSendSeconds: -1 }, /undoSendSeconds/],
    [{ ...good, dnsServers: ['ns.example.com'] }, /dnsServers.0: must be host:port/],
    [{ ...good, unknownKey: 1 }, /unrecognized|Unrecognized/],
    [{ ...good, listen: { gateway: { port: 70000 } } }, /listen.gateway.port/],
  ])('rejects %j with a message that names the field', (raw, message) => {
    expect(() => configFromObject(raw)).toThrow(ConfigError)
    expect(() => configFromObject(raw)).toThrow(message)
  })

  it('reads YAML and JSON files and reports unreadable or unparsable ones', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'fz-config-'))
    const yamlFile = path.join(dir, 'c.yaml')
    await writeFile(
      yamlFile,
      'domain: example.com\ndataDir: data\ngatewayUrl: https://mx.example.com\napiUrl: https://mail.example.com\n',
    )
    expect((await loadConfigFile(yamlFile)).domain.dataDir).toBe(path.resolve('data'))
    const bad = path.join(dir, 'bad.json')
    await writeFile(bad, '{ "domain": ')
    await expect(loadConfigFile(bad)).rejects.toThrow(/bad.json is not valid JSON/)
    await expect(loadConfigFile(path.join(dir, 'missing.json'))).rejects.toThrow(
      /cannot read the configuration file/,
    )
    const bomb = path.join(dir, 'bomb.yaml')
    await writeFile(bomb, 'a: &a [x, x]\nb: [*a, *a]\n')
    await expect(loadConfigFile(bomb)).rejects.toThrow(/not valid YAML/)
  })
})
