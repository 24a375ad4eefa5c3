import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { domainPaths } from '../src/config.ts'
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

  it('reads trusted proxies (addresses, CIDR, named ranges) and names each bad entry', () => {
    expect(configFromObject(good).domain.trustedProxies).toBeUndefined()
    const list = ['127.0.0.1', '10.0.0.0/8', 'fd00::/8', 'loopback']
    expect(configFromObject({ ...good, trustedProxies: list }).domain.trustedProxies).toEqual(list)
    let error: unknown
    try {
      configFromObject({ ...good, trustedProxies: ['10.0.0.0/33', 'proxy.example.com', '::1'] })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    const message = (error as Error).message
    expect(message).toMatch(/trustedProxies\.0: must be an IP address, a CIDR range/)
    expect(message).toMatch(/trustedProxies\.1: must be an IP address/)
    expect(message).not.toMatch(/trustedProxies\.2/)
  })

  it('stores in dataDir/mail.sqlite by default, or in the PostgreSQL database the config names', () => {
    const sqlite = configFromObject(good).domain
    expect(sqlite.store).toEqual({ kind: 'sqlite' })
    expect(domainPaths(sqlite).database).toBe('/var/lib/federizer/example.com/mail.sqlite')
    const url = 'postgres://federizer@db.internal:5432/example_com'
    const pg = configFromObject({ ...good, store: { kind: 'postgres', url } }).domain
    expect(pg.store).toEqual({ kind: 'postgres', url })
    expect(domainPaths(pg).database).toBe(url)
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
    [{ ...good, listen: { smtp: { port: -1 } } }, /listen.smtp.port/],
    [{ ...good, smtp: { tls: { certFile: 'c.pem' } } }, /smtp.tls.keyFile/],
    [{ ...good, smtp: { outboundPort: 0 } }, /smtp.outboundPort/],
    [{ ...good, smtp: { maxRecipients: 0 } }, /smtp.maxRecipients/],
    [{ ...good, smtp: { relay: 'x' } }, /smtp: Unrecognized key/i],
    [{ ...good, store: { kind: 'mysql' } }, /store.kind/],
    [{ ...good, store: { kind: 'postgres' } }, /store.url/],
    [{ ...good, store: { kind: 'postgres', url: 'db.internal:5432' } }, /store.url: must be a postgres:\/\//],
    [{ ...good, store: { kind: 'sqlite', url: 'x' } }, /store/],
  ])('rejects %j with a message that names the field', (raw, message) => {
    expect(() => configFromObject(raw)).toThrow(ConfigError)
    expect(() => configFromObject(raw)).toThrow(message)
  })

  it('the SMTP bridge: no listener unless listen.smtp is set; port, limits, certificate and outbound port', () => {
    const off = configFromObject(good)
    expect(off.smtp).toBeUndefined()
    expect(off.domain.smtpOutboundPort).toBeUndefined() // 25, RFC 5321 §4.5.4
    const on = configFromObject({
      ...good,
      listen: { smtp: { host: '0.0.0.0', port: 25 } },
      smtp: {
        tls: { certFile: 'tls/cert.pem', keyFile: 'tls/key.pem' },
        maxRecipients: 50,
        outboundPort: 2525,
      },
    })
    expect(on.smtp).toEqual({
      host: '0.0.0.0',
      port: 25,
      maxMessageBytes: 25 * 1024 * 1024,
      maxRecipients: 50,
      tls: { certFile: path.resolve('tls/cert.pem'), keyFile: path.resolve('tls/key.pem') },
    })
    expect(on.domain.smtpOutboundPort).toBe(2525)
    expect(configFromObject({ ...good, listen: { smtp: { port: 2525 } } }).smtp?.host).toBe('127.0.0.1')
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
