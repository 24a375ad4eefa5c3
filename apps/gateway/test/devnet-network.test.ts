import { Resolver } from 'node:dns/promises'
import { sendMail } from '@federizer/devnet'
import { describe, expect, it } from 'vitest'
import { db, messagesIn, openNetwork, PASSWORD, waitFor } from './federation-helpers.ts'

describe('devnet', () => {
  it('publishes SRV records on a real DNS server; a domain behind the redirect service with a path still federates', {
    timeout: 60_000,
  }, async () => {
    const net = await openNetwork({
      domains: [
        { domain: 'example.com', users: [{ email: 'alice@example.com', password: PASSWORD }] },
        {
          domain: 'example.net',
          users: [{ email: 'bob@example.net', password: PASSWORD }],
          behindRedirect: true,
          gatewayPath: '/fz',
        },
      ],
    })
    try {
      const { network } = net
      const bobNode = network.node('example.net')
      expect(bobNode.gatewayUrl).toMatch(/^http:\/\/localhost:\d+\/fz$/)
      const resolver = new Resolver()
      resolver.setServers([network.dns.address])
      const [srv] = await resolver.resolveSrv('_federizer._rs._tcp.example.net')
      expect(srv).toMatchObject({ name: 'localhost', port: bobNode.redirect!.port })
      // What a peer discovers: the final URL after the redirect.
      const peer = await network.node('example.com').gateway!.ctx.discovery.domainPeer('example.net')
      expect(peer.resourceUrl).toBe(bobNode.gatewayUrl)
      expect(peer.issuer).toBe(bobNode.gatewayUrl)
      expect(peer.mtaClientId).toBe('mta.example.net')

      const sent = await sendMail(network.node('example.com'), {
        from: 'alice@example.com',
        to: ['bob@example.net'],
        subject: 'Through the redirect',
        text: 'Found you.',
      })
      await waitFor(async () => {
        const [row] = (await messagesIn(db(network, 'example.net'), 'bob@example.net', 'inbox')).filter(
          (r) => r.message_id_header === sent.messageIdHeader,
        )
        return row?.content_state === 'complete'
      }, 'delivery through the redirect service')
      // Replies go the other way, to the domain served without a path.
      const back = await sendMail(bobNode, {
        from: 'bob@example.net',
        to: ['alice@example.com'],
        subject: 'Re: Through the redirect',
        text: 'Hi!',
      })
      await waitFor(async () => {
        const [row] = (await messagesIn(db(network, 'example.com'), 'alice@example.com', 'inbox')).filter(
          (r) => r.message_id_header === back.messageIdHeader,
        )
        return row?.content_state === 'complete'
      }, 'the reply')
    } finally {
      await net.close()
    }
  })
})
