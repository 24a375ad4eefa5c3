import { describe, expect, it } from 'vitest'
import { assertPublicHost, nonPublicRange, orderSrvRecords } from '../src/discovery/index.ts'
import { expectCode } from './jose-helpers.ts'

const rec = (name: string, priority: number, weight: number) => ({ name, port: 443, priority, weight })

/** A deterministic `random` that replays the given draws. */
const draws = (...values: number[]) => {
  let i = 0
  return () => values[i++ % values.length]!
}

describe('orderSrvRecords (RFC 2782)', () => {
  it('puts lower priorities first whatever the weights', () => {
    const ordered = orderSrvRecords([rec('c', 30, 100), rec('a', 10, 0), rec('b', 20, 50)], draws(0.5))
    expect(ordered.map((r) => r.name)).toEqual(['a', 'b', 'c'])
  })
  it('draws among equal priorities in proportion to weight', () => {
    const records = [rec('light', 10, 1), rec('heavy', 10, 9)]
    // total 10: a draw of 0 or 1 picks "light" (running sum 1), anything above picks "heavy".
    expect(orderSrvRecords(records, draws(0.05)).map((r) => r.name)).toEqual(['light', 'heavy'])
    expect(orderSrvRecords(records, draws(0.5)).map((r) => r.name)).toEqual(['heavy', 'light'])
    let heavyFirst = 0
    let seed = 1
    const lcg = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    for (let i = 0; i < 1000; i++) if (orderSrvRecords(records, lcg)[0]!.name === 'heavy') heavyFirst++
    // RFC 2782 draws from 0..sum inclusive: "heavy" first with probability 9/11 (≈ 818 of 1000).
    expect(heavyFirst).toBeGreaterThan(760)
    expect(heavyFirst).toBeLessThan(870)
  })
  it('chooses a weight-0 record only after the weighted ones (unless drawn at 0)', () => {
    const ordered = orderSrvRecords([rec('zero', 10, 0), rec('w', 10, 5)], draws(0.9))
    expect(ordered.map((r) => r.name)).toEqual(['w', 'zero'])
  })
  it('treats a single "." target as no service, and ignores unusable records', async () => {
    await expectCode(() => orderSrvRecords([rec('.', 0, 0)]), 'discovery_failed')
    await expectCode(() => orderSrvRecords([rec('', 0, 0)]), 'discovery_failed')
    await expectCode(() => orderSrvRecords([]), 'discovery_failed')
    expect(orderSrvRecords([rec('.', 10, 0), rec('ok', 20, 0)]).map((r) => r.name)).toEqual(['ok'])
    await expectCode(
      () => orderSrvRecords([{ name: 'x', port: 0, priority: 1, weight: 1 }]),
      'discovery_failed',
    )
  })
})

describe('nonPublicRange', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.20.30.40', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['198.18.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:0:a00:1', 'private'],
    ['::127.0.0.1', 'ipv4Compatible'],
    ['::8.8.8.8', 'ipv4Compatible'],
    ['64:ff9b::a00:1', 'private'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b:1::808:808', 'rfc8215 (local-use NAT64)'],
    ['2002:7f00:1::1', '6to4'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo'],
    ['2001:db8::1', 'reserved'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'deprecatedSiteLocal'],
  ])('%s is %s', (ip, label) => {
    expect(nonPublicRange(ip)).toBe(label)
  })
  it.each([
    '93.184.216.34',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
  ])('%s is public', (ip) => {
    expect(nonPublicRange(ip)).toBeUndefined()
  })
})

describe('assertPublicHost', () => {
  it('refuses localhost names, private literals and names resolving to a private address', async () => {
    const lookup = async (host: string) =>
      host === 'ok.example' ? ['93.184.216.34'] : ['93.184.216.34', '192.168.0.9']
    await expectCode(assertPublicHost('localhost', lookup), 'private_address')
    await expectCode(assertPublicHost('[::1]', lookup), 'private_address')
    await expectCode(assertPublicHost('mixed.example', lookup), 'private_address')
    await expect(assertPublicHost('ok.example', lookup)).resolves.toBeUndefined()
    await expectCode(
      assertPublicHost('none.example', async () => []),
      'discovery_failed',
    )
  })
})
