export { type Api, createApi } from './app.ts'
export type { ApiContext, ApiOptions } from './context.ts'
export type { MessageView, ResourceView } from './message-view.ts'
export { type AppRouter, appRouter, type RouterInputs, type RouterOutputs } from './router.ts'
