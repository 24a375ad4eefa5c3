// blob: URLs keep their bytes alive until revoked (a photo gallery would pin megabytes per message
// opened). Each view that shows thumbnails or the viewer owns one set and revokes it when it goes away.

export type ObjectUrlApi = Pick<typeof URL, 'createObjectURL' | 'revokeObjectURL'>

export interface ObjectUrlSet {
  /** A blob: URL for `blob`, or undefined once the set is closed (the view is gone: nothing to leak). */
  add(blob: Blob): string | undefined
  /** Revokes every URL made so far; later adds make none. */
  revokeAll(): void
  /** URLs currently alive. */
  readonly size: number
}

export function createObjectUrlSet(api: ObjectUrlApi = URL): ObjectUrlSet {
  const made = new Set<string>()
  let closed = false
  return {
    add(blob) {
      if (closed) return undefined
      const url = api.createObjectURL(blob)
      made.add(url)
      return url
    },
    revokeAll() {
      closed = true
      for (const url of made) api.revokeObjectURL(url)
      made.clear()
    },
    get size() {
      return made.size
    },
  }
}
