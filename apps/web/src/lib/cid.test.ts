import { describe, expect, it } from 'vitest'
import type { ResourceView } from '../api/types.ts'
import { cidImageResources, cidReferences } from './cid.ts'

const part = (contentId: string, disposition: 'inline' | 'attachment'): ResourceView => ({
  contentId,
  size: 10,
  mediaType: 'image/png',
  disposition,
  available: true,
})

describe('cid: references', () => {
  it('finds references with and without angle brackets', () => {
    expect([...cidReferences('<img src="cid:abc"><img src="CID:<def>"><a href="x">')]).toEqual(['abc', 'def'])
  })

  it('adds the message’s own attachments the HTML shows, and nothing from elsewhere', () => {
    const inline = [part('in1', 'inline')]
    const attachments = [part('att1', 'attachment'), part('att2', 'attachment')]
    const got = cidImageResources('<img src="cid:att1"><img src="cid:other-message">', inline, attachments)
    expect(got.map((r) => r.contentId)).toEqual(['in1', 'att1'])
    expect(cidImageResources(undefined, inline, attachments)).toBe(inline)
  })
})
