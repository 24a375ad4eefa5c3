/**
 * CPU per sent message in the api: draft.save + send.submit through tRPC over HTTP against the real
 * gateway (in process, workers off). `node --cpu-prof --import tsx bench/send-profile.ts [n=300]`
 */
import { createUser } from '@federizer/store'
import { startApi } from '../test/harness.ts'

const n = Number(process.argv[2] ?? 300)
const h = await startApi({ gateway: true })
await createUser(h.api.ctx.db, { email: 'alice@example.com', password: 'correct horse battery' })
const a = await h.client('alice@example.com')
const cpu0 = process.cpuUsage()
const t0 = performance.now()
for (let i = 0; i < n; i++) {
  const d = await a.draft.save.mutate({
    to: [{ address: 'bob@example.net' }],
    subject: `m${i}`,
    text: `hello ${i}`,
  })
  await a.send.submit.mutate({ draftId: d.id })
}
const cpu = process.cpuUsage(cpu0)
console.log(
  JSON.stringify({
    messages: n,
    wallMsPerMessage: (performance.now() - t0) / n,
    cpuMsPerMessage: (cpu.user + cpu.system) / 1000 / n,
  }),
)
await h.close()
