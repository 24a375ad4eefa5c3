import { ProtocolError } from '../errors.ts'

/** An SRV record as node:dns `resolveSrv` returns it (`name` is the target host). */
export interface SrvRecord {
  name: string
  port: number
  priority: number
  weight: number
  /** Seconds, when the resolver reports it. */
  ttl?: number
}

/** True for the RFC 2782 "." target: the service is decidedly not available at this domain. */
export function isNoServiceTarget(name: string): boolean {
  return name === '' || name === '.'
}

/**
 * Orders SRV records for contact: lowest priority first; within one priority, a weighted random
 * order (records of weight 0 first in the running sum, as RFC 2782 prescribes). A single record
 * with target "." means "no service" and raises `discovery_failed`.
 * @see RFC 2782 ("Usage rules", "Target")
 */
export function orderSrvRecords(
  records: readonly SrvRecord[],
  random: () => number = Math.random,
): SrvRecord[] {
  if (records.length === 1 && isNoServiceTarget(records[0]!.name)) {
    throw new ProtocolError(
      'discovery_failed',
      'the SRV record has target "." : the service is not available',
    )
  }
  const usable = records.filter(
    (r) => !isNoServiceTarget(r.name) && Number.isInteger(r.port) && r.port > 0 && r.port < 65536,
  )
  if (usable.length === 0) throw new ProtocolError('discovery_failed', 'no usable SRV record')
  const priorities = [...new Set(usable.map((r) => r.priority))].sort((a, b) => a - b)
  const ordered: SrvRecord[] = []
  for (const priority of priorities) {
    // Weight 0 first, then the rest, so zero-weight records are chosen only when nothing else is left.
    const pending = usable
      .filter((r) => r.priority === priority)
      .sort((a, b) => (a.weight === 0 ? 0 : 1) - (b.weight === 0 ? 0 : 1))
    while (pending.length > 0) {
      const total = pending.reduce((sum, r) => sum + Math.max(0, r.weight), 0)
      const pick = Math.floor(random() * (total + 1))
      let running = 0
      let index = pending.findIndex((r) => {
        running += Math.max(0, r.weight)
        return running >= pick
      })
      if (index < 0) index = pending.length - 1
      ordered.push(pending[index]!)
      pending.splice(index, 1)
    }
  }
  return ordered
}
