import type { DeliveryState } from '../api/types.ts'

/**
 * The one table of delivery-state words the webmail shows, per recipient (the send tracker and a sent
 * message's status list): what happened, in a person's words.
 */
export const DELIVERY_STATE_LABELS: Record<DeliveryState, string> = {
  held: 'Sending soon',
  queued: 'Queued',
  delivered: 'Delivered',
  delayed: 'Delayed, retrying',
  failed: 'Not delivered',
  bounced: 'Not delivered',
  cancelled: 'Cancelled',
}

/** States after which nothing more happens to a recipient's copy. */
const FINAL: ReadonlySet<DeliveryState> = new Set(['delivered', 'failed', 'bounced', 'cancelled'])

/** The label of a state; a state this webmail does not know yet is shown as the server named it. */
export function deliveryStateLabel(state: string): string {
  return DELIVERY_STATE_LABELS[state as DeliveryState] ?? state
}

/** True once every recipient's delivery has reached a final state (nothing left to poll for). */
export function isDeliveryFinished(delivery: ReadonlyArray<{ state: string }>): boolean {
  return delivery.length > 0 && delivery.every((d) => FINAL.has(d.state as DeliveryState))
}
