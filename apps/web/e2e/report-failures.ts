import { recentNetworkLog } from '@federizer/devnet'
import { beforeEach } from 'vitest'

// A failed browser test prints the warnings and errors the servers logged while it ran (the devnet's
// in-memory log): a timeout in the page often has its cause there. A passing test prints nothing.
beforeEach((context) => {
  recentNetworkLog()
  context.onTestFailed(() => {
    const lines = recentNetworkLog()
    if (lines.length > 0) console.log(`server warnings during "${context.task.name}":\n${lines.join('\n')}`)
  })
})
