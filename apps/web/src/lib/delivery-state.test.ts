import { describe, expect, it } from 'vitest'
import { DELIVERY_STATE_LABELS, deliveryStateLabel, isDeliveryFinished } from './delivery-state.ts'

describe('delivery-state labels', () => {
  it('names every state the server reports, in words', () => {
    expect(Object.keys(DELIVERY_STATE_LABELS).sort()).toEqual(
      ['bounced', 'cancelled', 'delayed', 'delivered', 'failed', 'held', 'queued'].sort(),
    )
    expect(deliveryStateLabel('delivered')).toBe('Delivered')
    expect(deliveryStateLabel('held')).toBe('Sending soon')
    expect(deliveryStateLabel('delayed')).toBe('Delayed, retrying')
    // A refusal and a failure after retries read the same to the sender; the detail says which.
    expect(deliveryStateLabel('bounced')).toBe('Not delivered')
    expect(deliveryStateLabel('failed')).toBe('Not delivered')
  })

  it('shows a state it does not know as the server named it', () => {
    expect(deliveryStateLabel('parked')).toBe('parked')
  })

  it('is finished only when every recipient is in a final state', () => {
    expect(isDeliveryFinished([])).toBe(false)
    expect(isDeliveryFinished([{ state: 'delivered' }, { state: 'bounced' }])).toBe(true)
    expect(isDeliveryFinished([{ state: 'delivered' }, { state: 'delayed' }])).toBe(false)
    expect(isDeliveryFinished([{ state: 'held' }])).toBe(false)
    expect(isDeliveryFinished([{ state: 'cancelled' }, { state: 'failed' }])).toBe(true)
  })
})
