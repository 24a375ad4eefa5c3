import { useQuery } from '@tanstack/react-query'
import styled from 'styled-components'
import { formatSize } from '../../lib/format.ts'
import { useMail } from '../../state/mail-context.ts'

/**
 * The owner's storage: "1.2 GB of 10 GB used" with a meter, in the mailbox sidebar (account.quota).
 * Past 90 % the meter turns to a warning, and a full mailbox says what to do: mail sent to it waits.
 */
export function QuotaBar() {
  const { api } = useMail()
  const quota = useQuery({
    queryKey: ['quota'],
    queryFn: () => api.quota?.(),
    enabled: !!api.quota,
    refetchInterval: 60_000,
  })
  const q = quota.data
  if (!q || q.quotaBytes <= 0) return null
  const ratio = q.usedBytes / q.quotaBytes
  const level = ratio >= 1 ? 'full' : ratio >= 0.9 ? 'high' : 'ok'
  const text = `${formatSize(q.usedBytes)} of ${formatSize(q.quotaBytes)} used`
  return (
    <Box data-testid="quota" data-level={level}>
      <meter
        aria-label="Storage used"
        min={0}
        max={q.quotaBytes}
        low={q.quotaBytes * 0.8}
        high={q.quotaBytes * 0.9}
        optimum={0}
        value={Math.min(q.usedBytes, q.quotaBytes)}
        title={text}
      />
      <p>{text}</p>
      {level === 'full' && (
        <p className="warn">
          Your mailbox is full: new mail waits until you delete some and empty the Trash.
        </p>
      )}
    </Box>
  )
}

const Box = styled.div`
  margin: 16px 12px 4px;
  font-size: 12px;
  color: ${(p) => p.theme.color.textMuted};
  meter {
    display: block;
    width: 100%;
    height: 6px;
  }
  p {
    margin: 6px 0 0;
  }
  .warn {
    color: ${(p) => p.theme.color.danger};
  }
`
