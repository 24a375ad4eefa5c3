import { DEMO_PORTS, DEMO_USERS, type Demo } from './demo.ts'

/** What the operator of the demo needs to know, on one screen. */
export function printDemoBanner(demo: Demo, out: (line: string) => void): void {
  out('')
  out('Federizer demo — three domains on loopback')
  out(`  DNS server (SRV records): 127.0.0.1:${DEMO_PORTS.dns}`)
  for (const node of demo.network.nodes.values()) {
    out(
      `  ${node.domain.padEnd(12)} webmail ${node.apiUrl.padEnd(24)} gateway ${node.gatewayUrl}${node.redirect ? ` (SRV → redirect service :${node.redirect.port})` : ''}`,
    )
  }
  out('')
  out('  Users (address / password):')
  for (const u of DEMO_USERS) {
    out(
      `    ${u.email.padEnd(20)} ${u.password}${'autoForwardTo' in u ? `   (auto-forwards to ${u.autoForwardTo.join(', ')}, keeping a copy)` : ''}`,
    )
  }
  out('')
  if (demo.legacy) {
    out('  legacy.test — mail over SMTP (a private Postfix on 127.0.0.1:2525):')
    out('    write to carol@legacy.test from any webmail: the message goes out over SMTP, DKIM-signed,')
    out('    and Carol answers; her answer comes back over SMTP into the same conversation.')
    out(`    Carol's Maildir: ${demo.legacy.maildir}`)
    out(`    SMTP listeners: ${[...demo.legacy.listeners].map(([d, l]) => `${d} :${l.port}`).join(', ')}`)
  } else out(`  legacy.test (mail over SMTP) is off: ${demo.legacyOff}`)
  out('')
  out(`  Logs (JSON): ${demo.logFile}`)
  out('  CLI: npx federizer list --config data/example.net.json --as bob@example.net')
  out(
    demo.postgresUrl
      ? `  Store: PostgreSQL (private cluster ${demo.postgresUrl}); Ctrl-C stops everything and discards its mail.`
      : '  Ctrl-C stops everything; starting again keeps users and mail.',
  )
  out('')
}
