import { useQuery } from '@tanstack/react-query'
import type { ResourceView } from '../../api/types.ts'
import { isViewableImage } from '../../lib/gallery.ts'
import { useMail } from '../../state/mail-context.ts'

const MAX_PREVIEW_BYTES = 20 * 1024 * 1024

/** The image attachments that get a thumbnail and a place in the viewer. */
export function viewableImages(attachments: ResourceView[]): ResourceView[] {
  return attachments.filter((a) => a.available && isViewableImage(a.mediaType) && a.size <= MAX_PREVIEW_BYTES)
}

/**
 * blob: URLs of a message's image attachments, fetched through the api's signed download links (the
 * api checks the resource is this account's); re-typed from the placeholder. Kept for the query's cache life (the viewer reuses them).
 */
export function useImageUrls(messageId: string, images: ResourceView[]): Map<string, string> | undefined {
  const { api } = useMail()
  const query = useQuery({
    queryKey: ['image-urls', messageId, images.map((i) => i.contentId).join(',')],
    enabled: images.length > 0,
    staleTime: Number.POSITIVE_INFINITY,
    gcTime: 60_000,
    queryFn: async () => {
      const out = new Map<string, string>()
      for (const image of images) {
        try {
          const response = await fetch(await api.downloadUrl({ contentId: image.contentId }))
          if (!response.ok) continue
          const type = image.mediaType.split(';')[0]?.trim() ?? 'application/octet-stream'
          out.set(image.contentId, URL.createObjectURL(new Blob([await response.blob()], { type })))
        } catch {
          // No thumbnail: the download button still works.
        }
      }
      return out
    },
  })
  return query.data
}
