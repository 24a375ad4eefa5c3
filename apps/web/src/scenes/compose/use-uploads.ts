import { useCallback, useEffect, useRef, useState } from 'react'
import type { ResourceRefView } from '../../api/types.ts'
import { UploadError, uploadResource } from '../../lib/upload.ts'
import { useMail } from '../../state/mail-context.ts'

export interface UploadItem {
  key: string
  filename: string
  size: number
  mediaType: string
  loaded: number
  state: 'uploading' | 'error'
  error?: string
  controller: AbortController
}

/** Attachment uploads in flight: progress, cancel, and the ref handed over once the server has the bytes. */
export function useUploads(onUploaded: (ref: ResourceRefView) => void) {
  const { api } = useMail()
  const [items, setItems] = useState<UploadItem[]>([])
  const counter = useRef(0)
  const live = useRef(new Set<AbortController>())

  // Leaving compose cancels what is still uploading (nothing half-sent stays behind on our side).
  useEffect(() => {
    const controllers = live.current
    return () => {
      for (const c of controllers) c.abort()
    }
  }, [])

  const update = useCallback(
    (key: string, patch: Partial<UploadItem>) =>
      setItems((list) => list.map((i) => (i.key === key ? { ...i, ...patch } : i))),
    [],
  )

  const add = useCallback(
    async (files: Iterable<File>) => {
      for (const file of files) {
        const key = `u${++counter.current}`
        const controller = new AbortController()
        live.current.add(controller)
        const mediaType = file.type || 'application/octet-stream'
        const filename = file.name || 'pasted-file'
        setItems((list) => [
          ...list,
          { key, filename, size: file.size, mediaType, loaded: 0, state: 'uploading', controller },
        ])
        void (async () => {
          try {
            const result = await uploadResource({
              url: api.uploadUrl,
              accessToken: await api.accessToken(),
              body: file,
              filename,
              contentType: mediaType,
              signal: controller.signal,
              onProgress: (loaded) => update(key, { loaded }),
            })
            setItems((list) => list.filter((i) => i.key !== key))
            onUploaded({ contentId: result.contentId, size: result.size, mediaType, filename })
          } catch (error) {
            if (error instanceof UploadError && error.code === 'aborted') {
              setItems((list) => list.filter((i) => i.key !== key))
            } else {
              update(key, { state: 'error', error: (error as Error).message })
            }
          } finally {
            live.current.delete(controller)
          }
        })()
      }
    },
    [api, onUploaded, update],
  )

  const cancel = useCallback((key: string) => {
    setItems((list) => {
      const item = list.find((i) => i.key === key)
      item?.controller.abort()
      return list.filter((i) => i.key !== key)
    })
  }, [])

  return { items, add, cancel, busy: items.some((i) => i.state === 'uploading') }
}
