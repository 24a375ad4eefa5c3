import styled from 'styled-components'
import type { ChainView, LegacyAuthView } from '../../api/types.ts'
import { Icon } from '../../components/icons.tsx'
import type { EnvelopeBlockView } from '../../lib/message-view.ts'

/**
 * The signed envelope chain hop by hop: the receiving gateway's verification result for each hop
 * (issuer, MTA client, sender domain, pass/fail with the reason), then the raw envelope blocks.
 */
export function ChainDetails(props: {
  chain?: ChainView | undefined
  legacy?: LegacyAuthView | undefined
  envelope: EnvelopeBlockView[]
}) {
  return (
    <Wrap aria-label="Message details">
      <h2>Delivery chain</h2>
      {props.legacy && <LegacyDetails legacy={props.legacy} />}
      {!props.chain && !props.legacy && (
        <p className="muted">Your own message: there is no received chain to verify.</p>
      )}
      {props.chain && (
        <>
          <p className={props.chain.ok ? 'ok' : 'fail'} role="status">
            <Icon name={props.chain.ok ? 'check' : 'alert'} size={16} />{' '}
            {props.chain.ok ? 'Every hop verified' : 'The chain did not verify'}
          </p>
          <ol>
            {props.chain.hops.map((hop) => (
              <li key={hop.index} data-status={hop.status}>
                <strong>
                  {/* the list numbers the hops */}
                  {hop.kind === 'origin' ? 'Sent' : 'Forwarded'}
                  {hop.senderDomain ? ` by ${hop.senderDomain}` : ''}
                </strong>{' '}
                <span className={hop.status === 'pass' ? 'ok' : 'fail'}>
                  {hop.status === 'pass' ? 'verified' : 'not verified'}
                </span>
                <dl>
                  {hop.sub && (
                    <>
                      <dt>User</dt>
                      <dd>{hop.sub}</dd>
                    </>
                  )}
                  {hop.iss && (
                    <>
                      <dt>Signed by</dt>
                      <dd>{hop.iss}</dd>
                    </>
                  )}
                  {hop.azp && (
                    <>
                      <dt>Mail agent</dt>
                      <dd>{hop.azp}</dd>
                    </>
                  )}
                  {hop.status === 'fail' && (
                    <>
                      <dt>Reason</dt>
                      <dd>
                        {hop.reason ?? 'unknown'}
                        {hop.code ? ` (${hop.code})` : ''}
                      </dd>
                    </>
                  )}
                </dl>
              </li>
            ))}
          </ol>
        </>
      )}
      <details>
        <summary>Envelope blocks ({props.envelope.length}, newest first)</summary>
        {props.envelope.map((block) => (
          <pre key={block.index}>
            {block.kind === 'assertion'
              ? `jwt-assertion: ${JSON.stringify(block.claims ?? {}, null, 2)}`
              : block.headers.map(([n, v]) => `${n}: ${v}`).join('\n')}
          </pre>
        ))}
      </details>
    </Wrap>
  )
}

const passed = (result: string) => result === 'pass'

/**
 * Mail that came over SMTP has no signed chain: what the receiving gateway checked instead — SPF
 * (RFC 7208), DKIM (RFC 6376), DMARC (RFC 7489) and ARC (RFC 8617) — clearly marked as legacy mail.
 */
function LegacyDetails(props: { legacy: LegacyAuthView }) {
  const { legacy } = props
  const dkim = legacy.dkim.length
    ? legacy.dkim
        .map((d) => `${d.result}${d.domain ? ` (d=${d.domain})` : ''}${d.comment ? `: ${d.comment}` : ''}`)
        .join(', ')
    : 'none (not signed)'
  const arc = legacy.arc ?? { result: 'none' }
  const sealed = arc.domain
    ? ` (sealed by ${arc.domain}${arc.instance ? `, ${arc.instance} forwarding hop${arc.instance === 1 ? '' : 's'}` : ''})`
    : ''
  return (
    <section aria-label="Legacy mail">
      <p className={passed(legacy.dmarc.result) ? 'ok' : 'fail'} role="status">
        <Icon name={passed(legacy.dmarc.result) ? 'check' : 'alert'} size={16} /> Legacy mail: received over
        SMTP, not through a Federizer chain
      </p>
      <p>{legacy.summary}</p>
      <dl>
        <dt>SPF</dt>
        <dd data-result={legacy.spf.result}>
          {legacy.spf.result}
          {legacy.spf.domain ? ` (${legacy.spf.domain})` : ''}
        </dd>
        <dt>DKIM</dt>
        <dd data-result={legacy.dkim[0]?.result ?? 'none'}>{dkim}</dd>
        <dt>DMARC</dt>
        <dd data-result={legacy.dmarc.result}>
          {legacy.dmarc.result}
          {legacy.dmarc.domain
            ? ` (${legacy.dmarc.domain}${legacy.dmarc.policy ? `, p=${legacy.dmarc.policy}` : ''})`
            : ''}
        </dd>
        <dt>ARC</dt>
        <dd data-result={arc.result}>
          {arc.result === 'none' ? 'none (not forwarded with an ARC seal)' : `${arc.result}${sealed}`}
        </dd>
      </dl>
    </section>
  )
}

const Wrap = styled.section`
  margin: 12px 0;
  padding: 12px 16px;
  border: 1px solid ${(p) => p.theme.color.border};
  border-radius: ${(p) => p.theme.radius};
  background: ${(p) => p.theme.color.surfaceAlt};
  font-size: 0.9rem;
  h2 {
    font-size: 1rem;
    margin: 0 0 8px;
  }
  .ok {
    color: ${(p) => p.theme.color.success};
    font-weight: 700;
  }
  .fail {
    color: ${(p) => p.theme.color.danger};
    font-weight: 700;
  }
  .muted {
    color: ${(p) => p.theme.color.textMuted};
  }
  ol {
    padding-left: 20px;
  }
  li {
    margin-bottom: 8px;
  }
  dl {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: 2px 12px;
    margin: 4px 0 0;
  }
  dt {
    color: ${(p) => p.theme.color.textMuted};
  }
  dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
  pre {
    font-family: ${(p) => p.theme.mono};
    font-size: 0.78rem;
    white-space: pre-wrap;
    overflow-wrap: anywhere;
    background: ${(p) => p.theme.color.surface};
    padding: 8px;
    border-radius: 6px;
  }
`
