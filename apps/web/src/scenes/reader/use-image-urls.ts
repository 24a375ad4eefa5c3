import { useEffect, useState } from 'react'
import type { ResourceView } from '../../api/types.ts'
import { isViewableImage } from '../../lib/gallery.ts'
import { createObjectUrlSet } from '../../lib/object-urls.ts'
import { useMail } from '../../state/mail-context.ts'

const MAX_PREVIEW_BYTES = 20 * 1024 * 1024

/** The image attachments that get a thumbnail and a place in the viewer. */
export function viewableImages(attachments: ResourceView[]): ResourceView[] {
  return attachments.filter((a) => a.available && isViewableImage(a.mediaType) && a.size <= MAX_PREVIEW_BYTES)
}

/**
 * blob: URLs of a message's image attachments, fetched through the api's signed download links (the
 * api checks the resource is this account's); re-typed from the placeholder. They live while the
 * attachment list shows them (thumbnails and the viewer) and are revoked when it goes away.
 */
export function useImageUrls(messageId: string, images: ResourceView[]): Map<string, string> | undefined {
  const { api } = useMail()
  const [urls, setUrls] = useState<Map<string, string>>()
  const key = images.map((i) => `${i.contentId} ${i.mediaType}`).join(',')
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for `images` (a new array each render)
  useEffect(() => {
    if (images.length === 0) return
    const set = createObjectUrlSet()
    const abort = new AbortController()
    ;(async () => {
      const out = new Map<string, string>()
      for (const image of images) {
        try {
          const response = await fetch(await api.downloadUrl({ contentId: image.contentId }), {
            signal: abort.signal,
          })
          if (!response.ok) continue
          const type = image.mediaType.split(';')[0]?.trim() ?? 'application/octet-stream'
          const url = set.add(new Blob([await response.blob()], { type }))
          if (!url) return
          out.set(image.contentId, url)
        } catch {
          if (abort.signal.aborted) return
          // No thumbnail: the download button still works.
        }
      }
      if (!abort.signal.aborted) setUrls(out)
    })()
    return () => {
      abort.abort()
      set.revokeAll()
      setUrls(undefined)
    }
  }, [api, messageId, key])
  return urls
}
