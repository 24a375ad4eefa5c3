import { createHash } from 'node:crypto'

export interface Digester {
  /** Feeds the next chunk. */
  update(chunk: Uint8Array): void
  /** The base64url SHA-256 of everything fed so far; the digester cannot be used afterwards. */
  digest(): string
  /** Bytes fed so far. */
  readonly size: number
}

/** An incremental SHA-256: memory stays flat whatever the input size. */
export function createDigester(): Digester {
  const hash = createHash('sha256')
  let size = 0
  return {
    update(chunk) {
      hash.update(chunk)
      size += chunk.byteLength
    },
    digest: () => hash.digest('base64url'),
    get size() {
      return size
    },
  }
}

/**
 * Content-ID and size of a stream of bytes, one update() per chunk (no buffering: GB inputs, flat memory).
 * @see docs/protocol.md §2 (Content-ID = digest of the resource's exact bytes)
 */
export async function digestStream(
  source: AsyncIterable<Uint8Array>,
): Promise<{ contentId: string; size: number }> {
  const d = createDigester()
  for await (const chunk of source) d.update(chunk)
  return { contentId: d.digest(), size: d.size }
}
