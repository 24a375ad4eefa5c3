import { useState } from 'react'
import type { Settings } from '../../api/types.ts'
import { useMail } from '../../state/mail-context.ts'
import { Section, useSectionSave } from './section.tsx'

/** One signature per identity, added under new messages, replies and forwards sent from it. */
export function SignatureSection(props: { settings: Settings }) {
  const { api } = useMail()
  const save = useSectionSave()
  const [signatures, setSignatures] = useState<Record<string, string>>(props.settings.prefs.signatures)
  return (
    <Section
      title="Signature"
      description="Added below what you write, after a “-- ” line (RFC 3676), when you start a message."
      save={save}
      onSubmit={() =>
        save.run(async () => {
          await api.setPrefs({ signatures })
          return 'Signature saved.'
        })
      }
    >
      {props.settings.identities.map((identity) => (
        <div key={identity} className="row">
          <div>
            <label htmlFor={`signature-${identity}`}>Signature for {identity}</label>
            <textarea
              id={`signature-${identity}`}
              value={signatures[identity] ?? ''}
              maxLength={10_000}
              placeholder="Alice Liddell · +44 20 7946 0000"
              onChange={(e) => {
                save.edited()
                setSignatures((s) => ({ ...s, [identity]: e.target.value }))
              }}
            />
          </div>
        </div>
      ))}
    </Section>
  )
}
