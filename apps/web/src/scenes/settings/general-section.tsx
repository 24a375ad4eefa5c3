import { useState } from 'react'
import type { Settings, UserPrefs } from '../../api/types.ts'
import { useMail } from '../../state/mail-context.ts'
import { Section, useSectionSave } from './section.tsx'

const UNDO_CHOICES = [0, 5, 10, 20, 30]

/** Display name, undo-send delay, reading pane, list density, conversation rows, remote content. */
export function GeneralSection(props: { settings: Settings }) {
  const { api, email } = useMail()
  const save = useSectionSave()
  const [name, setName] = useState(props.settings.displayName)
  const [prefs, setPrefs] = useState<UserPrefs>(props.settings.prefs)
  const [threaded, setThreaded] = useState(props.settings.conversationView)
  const update = <K extends keyof UserPrefs>(key: K, value: UserPrefs[K]) => {
    save.edited()
    setPrefs((p) => ({ ...p, [key]: value }))
  }
  const undoDefault = props.settings.undoSendDefault

  return (
    <Section
      title="General"
      save={save}
      onSubmit={() =>
        save.run(async () => {
          if (/[\r\n<>"]/.test(name)) throw new Error('a name cannot contain line breaks, <, > or "')
          if (name.trim() !== props.settings.displayName) await api.setDisplayName(name)
          await api.setPrefs({
            undoSendSeconds: prefs.undoSendSeconds,
            readingPane: prefs.readingPane,
            density: prefs.density,
            remoteContent: prefs.remoteContent,
          })
          if (threaded !== props.settings.conversationView) await api.setConversationView(threaded)
          return 'Saved.'
        })
      }
    >
      <label htmlFor="settings-name">Your name</label>
      <input
        id="settings-name"
        type="text"
        value={name}
        maxLength={200}
        autoComplete="name"
        aria-describedby="settings-name-help"
        onChange={(e) => {
          save.edited()
          setName(e.target.value)
        }}
      />
      <p id="settings-name-help" className="note">
        Shown with your address: {name.trim() ? `${name.trim()} <${email}>` : email}
      </p>
      <div className="row">
        <div>
          <label htmlFor="settings-undo">Undo send</label>
          <select
            id="settings-undo"
            value={prefs.undoSendSeconds === null ? 'default' : String(prefs.undoSendSeconds)}
            onChange={(e) =>
              update('undoSendSeconds', e.target.value === 'default' ? null : Number(e.target.value))
            }
          >
            <option value="default">Domain default ({undoDefault} seconds)</option>
            {UNDO_CHOICES.map((s) => (
              <option key={s} value={s}>
                {s === 0 ? 'Off: send at once' : `${s} seconds`}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="settings-pane">Reading pane</label>
          <select
            id="settings-pane"
            value={prefs.readingPane}
            onChange={(e) => update('readingPane', e.target.value as UserPrefs['readingPane'])}
          >
            <option value="right">Right of the list</option>
            <option value="bottom">Below the list</option>
            <option value="off">Off: open messages full size</option>
          </select>
        </div>
        <div>
          <label htmlFor="settings-density">List density</label>
          <select
            id="settings-density"
            value={prefs.density}
            onChange={(e) => update('density', e.target.value as UserPrefs['density'])}
          >
            <option value="comfortable">Comfortable</option>
            <option value="compact">Compact</option>
          </select>
        </div>
      </div>
      <label className="check">
        <input
          type="checkbox"
          checked={threaded}
          onChange={(e) => {
            save.edited()
            setThreaded(e.target.checked)
          }}
        />
        Group messages by conversation (one row per thread in the list)
      </label>
      <fieldset>
        <legend>Images and other remote content in mail</legend>
        {(
          [
            ['ask', 'Ask each time (blocked until you load it)'],
            ['contacts', 'Load it for people I have written to; ask for others'],
            ['never', 'Never load it'],
          ] as const
        ).map(([value, label]) => (
          <label key={value} className="check">
            <input
              type="radio"
              name="remote-content"
              value={value}
              checked={prefs.remoteContent === value}
              onChange={() => update('remoteContent', value)}
            />
            {label}
          </label>
        ))}
      </fieldset>
    </Section>
  )
}
