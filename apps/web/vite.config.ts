import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'
import { VitePWA } from 'vite-plugin-pwa'

// The webmail is served by the api at `/` (same origin as /trpc, /resources and /config.json).
export default defineConfig({
  plugins: [
    react(),
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: 'script-defer',
      includeAssets: ['icon.svg', 'icon-192.png', 'icon-512.png'],
      manifest: {
        name: 'Federizer Mail',
        short_name: 'Mail',
        description: 'Internet mail over OAuth 2.0',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#f4f5f8',
        theme_color: '#2456c9',
        icons: [
          { src: '/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: '/icon.svg', sizes: 'any', type: 'image/svg+xml' },
        ],
      },
      workbox: {
        // The app shell is precached; API traffic (tRPC, resources, config, the OAuth callback's
        // token exchange) always goes to the network.
        globPatterns: ['**/*.{js,css,html,svg,png,webmanifest}'],
        navigateFallback: '/index.html',
        navigateFallbackDenylist: [/^\/trpc/, /^\/resources/, /^\/config\.json/, /^\/healthz/],
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        skipWaiting: true,
      },
    }),
  ],
  build: {
    target: 'es2022',
    sourcemap: false,
    // dist/.vite/manifest.json: lets scripts/bundle-size.ts follow the import graph for the JS budget.
    manifest: true,
    chunkSizeWarningLimit: 400,
    rolldownOptions: {
      treeshake: {
        // The protocol's message modules are pure (no top-level effects). Saying so lets the bundler
        // drop the zod schemas and the YAML codec the browser never calls (~40 KB gzipped).
        moduleSideEffects: (id: string) => !/packages\/protocol\/src\/(message|errors)/.test(id),
      },
    },
  },
})
