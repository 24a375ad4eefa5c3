import { z } from 'zod'
import { ProtocolError, type ProtocolErrorCode } from '../errors.ts'
import { LIMITS } from './limits.ts'
import type { EnvelopeBlock, Header, Part, PlaceholderMessage } from './types.ts'
import { validateMessage } from './validate.ts'

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what we refuse
const CONTROL_OR_LONE_SURROGATE = /[\u0000-\u0008\u000a-\u001f\u007f]|[\ud800-\udfff]/u

/** A field name: printable US-ASCII except `:` (RFC 5322 §2.2). */
export const headerNameSchema = z
  .string()
  .min(1, 'a header name is empty')
  .max(LIMITS.maxHeaderNameLength)
  .regex(/^[!-9;-~]+$/, 'a header name must be printable ASCII without ":" or spaces')
  // `<<` is a YAML 1.1 merge key: no rendering could carry it safely to every YAML parser.
  .refine((n) => n !== '<<', 'the header name "<<" is reserved (a YAML merge key)')

/** A header value: no line breaks or control characters (tab allowed), no lone surrogates. */
export const headerValueSchema = z
  .string()
  .max(LIMITS.maxHeaderValueLength)
  .refine(
    (s) => !CONTROL_OR_LONE_SURROGATE.test(s),
    'a header value contains a line break, control character or lone surrogate',
  )

export const envelopeHeaderSchema = z.tuple([headerNameSchema, headerValueSchema])
export const partHeaderSchema = z.tuple([
  headerNameSchema,
  z.union([headerValueSchema, z.tuple([headerValueSchema, headerValueSchema])]),
])

export const partSchema: z.ZodType<Part> = z.lazy(() =>
  z.strictObject({
    headers: z.array(partHeaderSchema).max(LIMITS.maxHeadersPerBlock),
    parts: z.array(partSchema).max(LIMITS.maxParts).optional(),
  }),
)

export const compactJwsSchema = z
  .string()
  .max(LIMITS.maxAssertionLength)
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'a jwt-assertion must be a compact JWS')

export const envelopeBlockSchema: z.ZodType<EnvelopeBlock> = z.union([
  z.strictObject({ headers: z.array(envelopeHeaderSchema).max(LIMITS.maxHeadersPerBlock) }),
  z.strictObject({ 'jwt-assertion': compactJwsSchema }),
])

/** The shape alone (no cross-field rules); `placeholderMessageSchema` adds the rules of validate.ts. */
export const placeholderMessageShapeSchema = z.strictObject({
  envelope: z.array(envelopeBlockSchema).min(1, 'the envelope has no blocks').max(LIMITS.maxEnvelopeBlocks),
  parts: z.array(partSchema).max(LIMITS.maxParts),
})

/**
 * Nesting depth of arbitrary JSON-like data, walked iteratively so hostile nesting cannot overflow the
 * stack before the schema sees it. Stops counting once `limit` is passed.
 */
export function nestingDepth(value: unknown, limit: number): number {
  let max = 0
  const stack: Array<[unknown, number]> = [[value, 1]]
  while (stack.length > 0) {
    const [v, d] = stack.pop()!
    if (v === null || typeof v !== 'object') continue
    if (d > max) max = d
    if (max > limit) return max
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1])
  }
  return max
}

// message → parts (2 per level: array + object) → headers → header → pair: generous but bounded.
const MAX_NESTING = 2 * LIMITS.maxPartDepth + 6

/**
 * Zod schema of a Placeholder Message with every limit and rule of the model (usable as a tRPC input).
 * Use `parsePlaceholderMessage` to get a ProtocolError with a stable code instead of a ZodError.
 */
export const placeholderMessageSchema: z.ZodType<PlaceholderMessage> = z
  .unknown()
  .superRefine((v, ctx) => {
    if (nestingDepth(v, MAX_NESTING) > MAX_NESTING) {
      ctx.addIssue({
        code: 'custom',
        message: `nesting deeper than ${MAX_NESTING} levels`,
        params: { code: 'too_large' },
        abort: true,
      })
    }
  })
  .pipe(placeholderMessageShapeSchema)
  .superRefine((m, ctx) => {
    try {
      validateMessage(m)
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e
      ctx.addIssue({ code: 'custom', message: e.message, params: { code: e.code } })
    }
  })

/**
 * True when any issue (including those nested in union alternatives) is one of the model's size limits.
 * A tuple of the wrong length is also `too_big` in zod (maximum 2): that is a shape error, not a limit.
 */
function hasTooBig(issues: readonly z.core.$ZodIssue[]): boolean {
  return issues.some(
    (i) =>
      (i.code === 'too_big' && Number(i.maximum) > 2) ||
      (i.code === 'invalid_union' && i.errors.some((alt) => hasTooBig(alt))),
  )
}

function zodToProtocolError(error: z.ZodError): ProtocolError {
  const issue = error.issues[0]
  const custom = (issue as { params?: { code?: ProtocolErrorCode } } | undefined)?.params?.code
  const tooBig = hasTooBig(error.issues)
  const code: ProtocolErrorCode = custom ?? (tooBig ? 'too_large' : 'malformed_message')
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.map(String).join('.')}` : ''
  const message = custom
    ? (issue?.message ?? code)
    : `invalid Placeholder Message${where}: ${issue?.message ?? 'unknown error'}`
  return new ProtocolError(code, message, {
    cause: error,
  })
}

/** Validates an already-decoded value as a Placeholder Message; throws ProtocolError with a stable code. */
export function parsePlaceholderMessage(value: unknown): PlaceholderMessage {
  let result: ReturnType<typeof placeholderMessageSchema.safeParse>
  try {
    result = placeholderMessageSchema.safeParse(value)
  } catch (cause) {
    if (cause instanceof ProtocolError) throw cause
    throw new ProtocolError('malformed_message', 'the Placeholder Message could not be validated', { cause })
  }
  if (!result.success) throw zodToProtocolError(result.error)
  return result.data
}

/**
 * Valid Placeholder Message `m` with `fresh` blocks in front of `kept` (blocks of `m`) and `m`'s parts:
 * the same answer as `parsePlaceholderMessage` of the result, but only the fresh blocks go through the
 * schema (`m` passed it already); the model's cross-field rules (validate.ts) run on the whole result.
 * For the envelope steps that add or replace the newest block (seal, receipt, forwarding).
 */
export function withFreshBlocks(
  m: PlaceholderMessage,
  fresh: readonly EnvelopeBlock[],
  kept: readonly EnvelopeBlock[],
): PlaceholderMessage {
  const envelope = [...fresh, ...kept]
  if (envelope.length > LIMITS.maxEnvelopeBlocks)
    throw new ProtocolError(
      'too_large',
      `invalid Placeholder Message at envelope: more than ${LIMITS.maxEnvelopeBlocks} blocks`,
    )
  fresh.forEach((block, i) => {
    const result = envelopeBlockSchema.safeParse(block)
    if (!result.success) {
      const error = new z.ZodError(
        result.error.issues.map((x) => ({ ...x, path: ['envelope', i, ...x.path] })),
      )
      throw zodToProtocolError(error)
    }
  })
  const message: PlaceholderMessage = { envelope, parts: m.parts }
  validateMessage(message)
  return message
}

export type { EnvelopeBlock, Header, Part, PlaceholderMessage }
