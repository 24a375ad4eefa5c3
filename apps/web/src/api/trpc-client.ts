import type { AppRouter } from '@federizer/api'
import { createTRPCClient, httpBatchLink } from '@trpc/client'

/** The typed tRPC client: batched HTTP to `${apiUrl}/trpc`, Bearer access token on every call. */
export function createApiClient(apiUrl: string, accessToken: () => Promise<string>) {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${apiUrl}/trpc`,
        maxURLLength: 4000,
        async headers() {
          return { authorization: `Bearer ${await accessToken()}` }
        },
      }),
    ],
  })
}

export type ApiClient = ReturnType<typeof createApiClient>
