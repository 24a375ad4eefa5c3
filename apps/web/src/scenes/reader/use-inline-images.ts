import { useQuery } from '@tanstack/react-query'
import { useCallback } from 'react'
import type { ResourceView } from '../../api/types.ts'
import { useMail } from '../../state/mail-context.ts'

const MAX_INLINE_IMAGE = 5 * 1024 * 1024

function toDataUrl(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => resolve(String(reader.result))
    reader.onerror = () => reject(reader.error)
    reader.readAsDataURL(blob)
  })
}

/**
 * Inline images (`cid:` references in the HTML body) become data: URLs: the reading frame's CSP allows
 * only data: images, so nothing in the frame ever fetches by itself.
 */
export function useInlineImages(messageId: string, resources: ResourceView[]) {
  const { api } = useMail()
  const images = resources.filter(
    (r) => r.available && /^image\/(png|jpeg|gif|webp)\b/i.test(r.mediaType) && r.size <= MAX_INLINE_IMAGE,
  )
  const query = useQuery({
    queryKey: ['inline-images', messageId, images.map((i) => i.contentId).join(',')],
    enabled: images.length > 0,
    staleTime: Number.POSITIVE_INFINITY,
    queryFn: async () => {
      const out = new Map<string, string>()
      for (const image of images) {
        try {
          const url = await api.downloadUrl({ contentId: image.contentId })
          const response = await fetch(url)
          if (!response.ok) continue
          const blob = await response.blob()
          // Re-type from the placeholder, never from the response: only raster images become data: URLs.
          out.set(image.contentId, await toDataUrl(new Blob([blob], { type: image.mediaType.split(';')[0] })))
        } catch {
          // A missing inline image just stays blank.
        }
      }
      return out
    },
  })
  const map = query.data
  return useCallback((cid: string) => map?.get(cid), [map])
}
