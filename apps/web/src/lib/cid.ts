import type { ResourceView } from '../api/types.ts'

/** The Content-IDs an HTML body references as `cid:` URLs (RFC 2392), brackets dropped. */
export function cidReferences(html: string): Set<string> {
  const out = new Set<string>()
  for (const m of html.matchAll(/cid:<?([A-Za-z0-9_.@%+-]+)>?/gi)) {
    const id = m[1]
    if (id) out.add(id)
  }
  return out
}

/**
 * The parts of THIS message that its HTML may show inline: its inline parts, plus any of its own
 * attachments it references by `cid:` (many mailers mark pictures in the body as attachments). A
 * reference to anything else resolves to nothing: resources are confined to the message's own parts.
 */
export function cidImageResources(
  html: string | undefined,
  inline: ResourceView[],
  attachments: ResourceView[],
): ResourceView[] {
  if (!html) return inline
  const refs = cidReferences(html)
  const extra = attachments.filter(
    (a) => refs.has(a.contentId) && !inline.some((i) => i.contentId === a.contentId),
  )
  return [...inline, ...extra]
}
