/** A header value: a string, or (only for an external-body leaf's Content-Type) the pair of the seed. */
export type HeaderValue = string | [string, string]
/** An ordered header: names are case-insensitive and may repeat. */
export type Header = [name: string, value: HeaderValue]
/** A node of the body tree: a multipart container (with `parts`) or a leaf referencing a resource. */
export interface Part {
  headers: Header[]
  parts?: Part[]
}
export interface HeadersBlock {
  headers: Header[]
}
export interface AssertionBlock {
  'jwt-assertion': string
}
/** One block of the envelope chain. */
export type EnvelopeBlock = HeadersBlock | AssertionBlock
/** The Placeholder Message: envelope newest first, then the children of the top multipart/mixed. */
export interface PlaceholderMessage {
  envelope: EnvelopeBlock[]
  parts: Part[]
}
/** A mailbox: an addr-spec and an optional display name. */
export interface Address {
  name?: string
  address: string
}
/** A reference to an External Resource as the builder takes it. `contentId` is the bare 43-char digest. */
export interface ResourceRef {
  contentId: string
  size: number
  mediaType: string
  filename?: string
}
export type ResourceInfo = ResourceRef & { disposition: 'inline' | 'attachment' }

export function isAssertionBlock(b: EnvelopeBlock): b is AssertionBlock {
  return 'jwt-assertion' in b
}
export function isHeadersBlock(b: EnvelopeBlock): b is HeadersBlock {
  return 'headers' in b
}
