import { useState } from 'react'
import type { Settings, VacationSettings } from '../../api/types.ts'
import { dateToEpoch, epochToDate } from '../../lib/vacation-dates.ts'
import { useMail } from '../../state/mail-context.ts'
import { Section, useSectionSave } from './section.tsx'

/** The vacation auto-reply settings (RFC 3834); the server sends the reply (docs/architecture.md, User settings). */
export function VacationSection(props: { settings: Settings }) {
  const { api } = useMail()
  const save = useSectionSave()
  const [v, setV] = useState<VacationSettings>(props.settings.vacation)
  const [first, setFirst] = useState(epochToDate(v.startsAt))
  const [last, setLast] = useState(epochToDate(v.endsAt, true))
  const update = <K extends keyof VacationSettings>(key: K, value: VacationSettings[K]) => {
    save.edited()
    setV((x) => ({ ...x, [key]: value }))
  }
  return (
    <Section
      title="Vacation reply"
      description="While it is on (between the first and last day, when set), your mail server answers each person who writes to you once per period. It never answers mailing lists, bulk mail, automatic replies or delivery notices. The replies are kept in Sent."
      save={save}
      onSubmit={() =>
        save.run(async () => {
          const next = { ...v, startsAt: dateToEpoch(first), endsAt: dateToEpoch(last, true) }
          if (next.enabled && !next.text.trim())
            throw new Error('write the reply text before turning the auto-reply on')
          await api.setVacation(next)
          return next.enabled ? 'Vacation reply is on.' : 'Vacation reply is off.'
        })
      }
    >
      <label className="check">
        <input type="checkbox" checked={v.enabled} onChange={(e) => update('enabled', e.target.checked)} />
        Send an automatic reply
      </label>
      <label htmlFor="vacation-subject">Reply subject</label>
      <input
        id="vacation-subject"
        type="text"
        value={v.subject}
        maxLength={200}
        onChange={(e) => update('subject', e.target.value)}
      />
      <label htmlFor="vacation-text">Reply text</label>
      <textarea
        id="vacation-text"
        value={v.text}
        maxLength={10_000}
        placeholder="I am away until Monday and will answer when I am back."
        onChange={(e) => update('text', e.target.value)}
      />
      <div className="row">
        <div>
          <label htmlFor="vacation-first">First day (optional)</label>
          <input
            id="vacation-first"
            type="date"
            value={first}
            onChange={(e) => {
              save.edited()
              setFirst(e.target.value)
            }}
          />
        </div>
        <div>
          <label htmlFor="vacation-last">Last day (optional)</label>
          <input
            id="vacation-last"
            type="date"
            value={last}
            onChange={(e) => {
              save.edited()
              setLast(e.target.value)
            }}
          />
        </div>
        <div>
          <label htmlFor="vacation-period">Answer the same sender again after</label>
          <select
            id="vacation-period"
            value={v.periodDays}
            onChange={(e) => update('periodDays', Number(e.target.value))}
          >
            {[1, 3, 7, 14].map((d) => (
              <option key={d} value={d}>
                {d === 1 ? '1 day' : `${d} days`}
              </option>
            ))}
          </select>
        </div>
      </div>
    </Section>
  )
}
