import { z } from 'zod'

/** Row ids are `<prefix>_<base64url>`. */
export const rowIdSchema = z
  .string()
  .min(3)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'not an id returned by this api')
export const idsSchema = z.array(rowIdSchema).min(1).max(500)
export const contentIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'a Content-ID is 43 base64url characters')
const msgIdSchema = z
  .string()
  .max(998)
  .regex(/^<[^<>\s@]+@[^<>\s@]+>$/, 'a message id is written <id@domain>')

export const addressSchema = z.object({
  name: z.string().max(200).optional(),
  address: z.email({ error: 'not an email address' }).max(320),
})

const resourceRefSchema = z.object({
  contentId: contentIdSchema,
  size: z.number().int().nonnegative(),
  mediaType: z
    .string()
    .max(255)
    .regex(/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/, 'not a media type'),
  filename: z.string().min(1).max(255).optional(),
})

/** The most text or HTML a draft may carry inline (it is stored as a resource). */
const MAX_DRAFT_BODY_CHARS = 2 * 1024 * 1024

export const draftInputSchema = z.object({
  /** Replace this draft (autosave); omitted to create one. */
  id: rowIdSchema.optional(),
  to: z.array(addressSchema).max(500).default([]),
  cc: z.array(addressSchema).max(500).default([]),
  bcc: z.array(addressSchema).max(500).default([]),
  subject: z.string().max(998).default(''),
  text: z.string().max(MAX_DRAFT_BODY_CHARS).optional(),
  html: z.string().max(MAX_DRAFT_BODY_CHARS).optional(),
  attachments: z.array(resourceRefSchema).max(100).default([]),
  inReplyTo: msgIdSchema.optional(),
  references: z.array(msgIdSchema).max(100).optional(),
  threadId: msgIdSchema.optional(),
})
export type DraftInput = z.infer<typeof draftInputSchema>
