import { useQueryClient } from '@tanstack/react-query'
import { type FormEvent, type ReactNode, useState } from 'react'
import styled from 'styled-components'
import { Button } from '../../components/button.tsx'
import { Problem } from '../../components/problem.tsx'
import { type Explained, explainError } from '../../lib/explain.ts'

/** Saving one settings section: its busy flag, the last error, and a "Saved" line that fades on edit. */
export function useSectionSave() {
  const queryClient = useQueryClient()
  const [saving, setSaving] = useState(false)
  const [error, setError] = useState<Explained>()
  const [saved, setSaved] = useState<string>()
  const run = async (work: () => Promise<string | undefined>) => {
    setError(undefined)
    setSaved(undefined)
    setSaving(true)
    try {
      const message = await work()
      await queryClient.invalidateQueries({ queryKey: ['settings'] })
      setSaved(message ?? 'Saved.')
    } catch (e) {
      setError(explainError(e))
    } finally {
      setSaving(false)
    }
  }
  const edited = () => {
    setError(undefined)
    setSaved(undefined)
  }
  return { saving, error, saved, run, edited, setError }
}

/** One settings section: a titled form with its own Save button, error and confirmation. */
export function Section(props: {
  title: string
  description?: ReactNode
  onSubmit: () => void
  save: ReturnType<typeof useSectionSave>
  saveLabel?: string
  disabled?: boolean
  children: ReactNode
}) {
  const handle = (e: FormEvent) => {
    e.preventDefault()
    props.onSubmit()
  }
  return (
    <Form onSubmit={handle} aria-labelledby="settings-section-title">
      <h3 id="settings-section-title">{props.title}</h3>
      {props.description && <p className="note">{props.description}</p>}
      {props.children}
      <div className="actions">
        {props.save.error && <Problem role="alert" className="error" problem={props.save.error} />}
        {props.save.saved && (
          <p role="status" className="saved">
            {props.save.saved}
          </p>
        )}
        <Button type="submit" $variant="primary" disabled={props.save.saving || props.disabled}>
          {props.save.saving ? 'Saving…' : (props.saveLabel ?? 'Save')}
        </Button>
      </div>
    </Form>
  )
}

const Form = styled.form`
  display: flex;
  flex-direction: column;
  gap: 10px;
  min-width: 0;
  h3 {
    margin: 0 0 2px;
    font-size: 1.05rem;
  }
  fieldset {
    border: 1px solid ${(p) => p.theme.color.border};
    border-radius: ${(p) => p.theme.radius};
    padding: 8px 12px 12px;
    display: flex;
    flex-direction: column;
    gap: 8px;
    margin: 0;
  }
  legend {
    font-weight: 600;
    padding: 0 4px;
  }
  label {
    font-weight: 600;
  }
  .check {
    display: flex;
    gap: 8px;
    align-items: center;
    font-weight: 400;
  }
  input[type='text'],
  input[type='email'],
  input[type='password'],
  input[type='date'],
  input[type='number'],
  select,
  textarea {
    font: inherit;
    padding: 8px 10px;
    border: 1px solid ${(p) => p.theme.color.border};
    border-radius: ${(p) => p.theme.radius};
    background: ${(p) => p.theme.color.surface};
    color: ${(p) => p.theme.color.text};
    min-width: 0;
  }
  textarea {
    min-height: 96px;
    resize: vertical;
  }
  .row {
    display: flex;
    gap: 12px;
    flex-wrap: wrap;
    > * {
      flex: 1 1 160px;
      display: flex;
      flex-direction: column;
      gap: 4px;
    }
  }
  .note {
    margin: 0;
    font-size: 0.85rem;
    color: ${(p) => p.theme.color.textMuted};
  }
  .error {
    margin: 0;
    color: ${(p) => p.theme.color.danger};
    font-weight: 600;
    flex: 1;
  }
  .saved {
    margin: 0;
    color: ${(p) => p.theme.color.success};
    font-weight: 600;
    flex: 1;
  }
  .actions {
    display: flex;
    justify-content: flex-end;
    align-items: center;
    gap: 12px;
    margin-top: 4px;
  }
`
