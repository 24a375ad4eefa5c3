import styled from 'styled-components'
import { Dialog } from '../../components/dialog.tsx'
import { SHORTCUTS } from '../../lib/shortcuts.ts'

/** The "?" dialog listing every keyboard shortcut. */
export function HelpDialog(props: { onClose: () => void }) {
  return (
    <Dialog title="Keyboard shortcuts" onClose={props.onClose}>
      <Table>
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Action</th>
          </tr>
        </thead>
        <tbody>
          {SHORTCUTS.map((s) => (
            <tr key={s.key}>
              <td>
                <kbd>{s.key === 'Escape' ? 'Esc' : s.key}</kbd>
              </td>
              <td>{s.description}</td>
            </tr>
          ))}
        </tbody>
      </Table>
    </Dialog>
  )
}

const Table = styled.table`
  width: 100%;
  border-collapse: collapse;
  th {
    text-align: left;
    color: ${(p) => p.theme.color.textMuted};
    font-weight: 600;
    padding: 4px 0 8px;
  }
  td {
    padding: 6px 0;
    border-top: 1px solid ${(p) => p.theme.color.border};
  }
  kbd {
    display: inline-block;
    min-width: 28px;
    text-align: center;
    padding: 2px 8px;
    border: 1px solid ${(p) => p.theme.color.border};
    border-bottom-width: 2px;
    border-radius: 6px;
    font-family: ${(p) => p.theme.mono};
    background: ${(p) => p.theme.color.surfaceAlt};
  }
`
