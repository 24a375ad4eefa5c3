/** An error's message and its cause's, for the log and a sender's failure reason. */
export function errorText(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause
    const causeText = cause instanceof Error ? ` (${cause.message})` : ''
    return e.message + causeText
  }
  return String(e)
}
