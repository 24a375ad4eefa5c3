import type { DraftState } from '../api/types.ts'
import { escapeHtml, START_LINE } from './compose-model.ts'

/** The signature block: the RFC 3676 §4.3 separator line ("-- ") then the signature text. */
function signatureBlock(signature: string): string {
  return `\n\n-- \n${signature.replace(/\r\n?/g, '\n').trim()}`
}

/**
 * Adds the identity's signature to a freshly started draft: below the (empty) text of a new message,
 * above the quote of a reply or forward. A saved draft (it has an id) or an empty signature is left alone.
 */
export function withSignature(draft: DraftState, signature: string | undefined): DraftState {
  if (!signature?.trim() || draft.draftId || draft.signature) return draft
  const block = signatureBlock(signature)
  const signed: DraftState = { ...draft, text: `${block}${draft.text}`, signature: block }
  if (draft.html !== undefined) {
    // The HTML of a reply or forward gets the same block, above its quote.
    const rest = draft.html.startsWith(START_LINE) ? draft.html.slice(START_LINE.length) : draft.html
    signed.html = `${START_LINE}<div class="fz-signature">${escapeHtml(block.trimStart())}</div>${rest}`
  }
  return signed
}
