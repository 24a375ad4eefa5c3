import { z } from 'zod'

const httpUrl = z
  .string()
  .max(2048)
  .refine((s) => {
    try {
      const u = new URL(s)
      return (u.protocol === 'https:' || u.protocol === 'http:') && u.hash === '' && u.username === ''
    } catch {
      return false
    }
  }, 'expected an absolute http(s) URL without fragment or credentials')

/**
 * The mailbox's `/.well-known/federizer` document: the DNS-bound client identity of the seed's
 * Note 2 (`mta_client_id`) and the federation endpoints.
 */
export const federizerDocumentSchema = z.object({
  domain: z.string().min(1).max(253),
  resource_url: httpUrl,
  issuer: httpUrl,
  mta_client_id: z.string().min(1).max(2048),
  delivery_endpoint: httpUrl,
  fetch_endpoint: httpUrl,
  /**
   * The receiver accepts pushed resources up to this many bytes per delivery (docs/protocol.md §6,
   * "Pushed resources"); absent: it does not, and the sender pushes nothing.
   */
  push_max_bytes: z
    .number()
    .int()
    .nonnegative()
    .max(1024 ** 3)
    .optional(),
})
export type FederizerDocument = z.infer<typeof federizerDocumentSchema>

/** RFC 8414 §2 AS metadata: the members Federizer relies on; other members are kept as they are. */
export const authorizationServerMetadataSchema = z.looseObject({
  issuer: httpUrl,
  token_endpoint: httpUrl,
  jwks_uri: httpUrl,
  authorization_endpoint: httpUrl.optional(),
  grant_types_supported: z.array(z.string()).optional(),
  dpop_signing_alg_values_supported: z.array(z.string()).optional(),
})
export type AuthorizationServerMetadata = z.infer<typeof authorizationServerMetadataSchema>

/** A JWKS (RFC 7517 §5) with at most 100 keys. */
export const jwksSchema = z.object({
  keys: z.array(z.looseObject({ kty: z.string().min(1) })).max(100),
})
