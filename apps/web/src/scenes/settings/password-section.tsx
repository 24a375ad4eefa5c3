import { useState } from 'react'
import { useMail } from '../../state/mail-context.ts'
import { Section, useSectionSave } from './section.tsx'

/** This tab's refresh token (kept in sessionStorage by oauth-session.ts): this sign-in survives the change. */
function ownRefreshToken(): string | undefined {
  try {
    return window.sessionStorage.getItem('fz:auth:refresh') ?? undefined
  } catch {
    return undefined
  }
}

/** Password change at the domain's sign-in server: the current password is required. */
export function PasswordSection() {
  const { api, email } = useMail()
  const save = useSectionSave()
  const [current, setCurrent] = useState('')
  const [next, setNext] = useState('')
  const [again, setAgain] = useState('')
  const edit = (set: (v: string) => void) => (e: { target: { value: string } }) => {
    save.edited()
    set(e.target.value)
  }
  return (
    <Section
      title="Password"
      description="Changing it signs you out everywhere else: other browsers and apps must sign in again with the new password."
      save={save}
      saveLabel="Change password"
      onSubmit={() =>
        save.run(async () => {
          if (!current) throw new Error('enter your current password')
          if (next.length < 8) throw new Error('the new password must be at least 8 characters')
          if (next !== again) throw new Error('the two new passwords are not the same')
          const refreshToken = ownRefreshToken()
          const { signedOutElsewhere } = await api.changePassword({
            current,
            next,
            ...(refreshToken ? { refreshToken } : {}),
          })
          setCurrent('')
          setNext('')
          setAgain('')
          return `Password changed. ${
            signedOutElsewhere === 0
              ? 'No other sign-in was open.'
              : `${signedOutElsewhere} other sign-in${signedOutElsewhere === 1 ? ' was' : 's were'} signed out.`
          }`
        })
      }
    >
      {/* A hidden username lets password managers file the new password under the right account. */}
      <input type="email" autoComplete="username" value={email} hidden readOnly />
      <label htmlFor="settings-current-password">Current password</label>
      <input
        id="settings-current-password"
        type="password"
        autoComplete="current-password"
        value={current}
        onChange={edit(setCurrent)}
      />
      <div className="row">
        <div>
          <label htmlFor="settings-new-password">New password</label>
          <input
            id="settings-new-password"
            type="password"
            autoComplete="new-password"
            minLength={8}
            value={next}
            onChange={edit(setNext)}
          />
        </div>
        <div>
          <label htmlFor="settings-new-password-again">New password again</label>
          <input
            id="settings-new-password-again"
            type="password"
            autoComplete="new-password"
            value={again}
            onChange={edit(setAgain)}
          />
        </div>
      </div>
    </Section>
  )
}
