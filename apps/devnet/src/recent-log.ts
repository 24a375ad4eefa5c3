import pino, { type Logger } from 'pino'

/** How many log lines a test process keeps for its failure report. */
const KEPT_LINES = 200

const lines: string[] = []

/**
 * The logger a network uses when its test gives none: warnings and errors of every node, kept in memory
 * (the last 200 lines) instead of printed, so a failing test can show what the servers said
 * (`recentNetworkLog`) while a passing one stays quiet.
 */
export function recentLogger(): Logger {
  return pino(
    { level: 'warn' },
    {
      write(line: string) {
        lines.push(line.trimEnd())
        if (lines.length > KEPT_LINES) lines.splice(0, lines.length - KEPT_LINES)
      },
    },
  )
}

/** The warnings and errors the networks of this process logged lately (oldest first), then forgets them. */
export function recentNetworkLog(): string[] {
  return lines.splice(0, lines.length)
}
