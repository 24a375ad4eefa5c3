import type { DraftState } from '../api/types.ts'

/** The signature block: the RFC 3676 §4.3 separator line ("-- ") then the signature text. */
export function signatureBlock(signature: string): string {
  return `\n\n-- \n${signature.replace(/\r\n?/g, '\n').trim()}`
}

/**
 * Adds the identity's signature to a freshly started draft: below the (empty) text of a new message,
 * above the quote of a reply or forward. A saved draft (it has an id) or an empty signature is left alone.
 */
export function withSignature(draft: DraftState, signature: string | undefined): DraftState {
  if (!signature?.trim() || draft.draftId || draft.signature) return draft
  const block = signatureBlock(signature)
  return { ...draft, text: `${block}${draft.text}`, signature: block }
}
