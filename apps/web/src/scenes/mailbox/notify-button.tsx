import { useState } from 'react'
import { IconButton } from '../../components/button.tsx'
import { Icon } from '../../components/icons.tsx'

/** Asks for desktop notifications (a click is needed for the browser's prompt); hidden once decided. */
export function NotifyButton() {
  const supported = typeof Notification !== 'undefined'
  const [permission, setPermission] = useState(supported ? Notification.permission : 'denied')
  if (!supported || permission !== 'default') return null
  return (
    <IconButton
      type="button"
      aria-label="Turn on desktop notifications"
      title="Turn on desktop notifications"
      onClick={() => void Notification.requestPermission().then(setPermission)}
    >
      <Icon name="bell" />
    </IconButton>
  )
}
