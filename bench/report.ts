import { execFileSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import os from 'node:os'
import { fileCreateCpuMs } from './file-create.ts'
import { fmt, type Stat } from './lib.ts'

/** One line of the results table. */
export interface Row {
  figure: string
  /** The measured figure, already formatted with its unit. */
  value: string
  /** min – max over the runs, when the figure is a median of several runs. */
  spread?: string
  runs?: number
  /** The target from the issue, as text (e.g. `≥ 80 %`). */
  target?: string
  /** true: target met, false: missed, undefined: no target. */
  ok?: boolean
  note?: string
}

export interface Section {
  title: string
  /** What was measured and how, in a sentence or two. */
  method: string
  rows: Row[]
}

/** A row for a Stat of a unit (median, with min – max and runs). */
export function statRow(figure: string, s: Stat, unit: string, extra: Partial<Row> = {}, digits = 1): Row {
  return {
    figure,
    value: `${fmt(s.median, digits)} ${unit}`,
    spread: `${fmt(s.min, digits)} – ${fmt(s.max, digits)}`,
    runs: s.runs,
    ...extra,
  }
}

export interface Machine {
  date: string
  cpu: string
  cores: number
  ramGiB: number
  node: string
  commit: string
  quick: boolean
  /** Where every section keeps its data (`tmpdir()`, from TMPDIR) and what creating a file there cost. */
  dataFolder: { root: string; createCpuMs: number }
}

export function machineInfo(quick: boolean): Machine {
  let commit = 'unknown'
  try {
    commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' })
    if (dirty.trim()) commit += ' (+ uncommitted changes in the work tree)'
  } catch {
    // not a git checkout
  }
  return {
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    ramGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    commit,
    quick,
    dataFolder: { root: os.tmpdir(), createCpuMs: fileCreateCpuMs() },
  }
}

function cell(s: string | undefined): string {
  return (s ?? '').replaceAll('|', '\\|')
}

function mark(ok: boolean | undefined): string {
  if (ok === undefined) return ''
  return ok ? 'met' : '**MISSED**'
}

/** Renders every section as Markdown (the same text is printed and written to results.md). */
export function renderMarkdown(machine: Machine, sections: Section[]): string {
  const lines: string[] = [
    '# Federizer benchmark results',
    '',
    `- Date: ${machine.date}`,
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${fmt(machine.ramGiB, 1)} GiB RAM, Node ${machine.node}`,
    `- Commit: ${machine.commit}`,
    `- Data folders: under ${machine.dataFolder.root} (TMPDIR); creating a file there cost ${fmt(machine.dataFolder.createCpuMs, 3)} ms of CPU (median of 5 × 200 creations at the start)`,
    `- Mode: ${machine.quick ? 'BENCH_QUICK=1 (smoke sizes, 1 run: not figures to quote)' : 'full'}`,
    '',
    'Each figure is the median of the runs shown, with min – max. Ratios are measured side by side in this run.',
    'See docs/benchmarks.md for what each figure means and what limits it.',
    '',
  ]
  for (const section of sections) {
    lines.push(`## ${section.title}`, '', section.method, '')
    lines.push('| Figure | Median | Min – max | Runs | Target | Result | Note |')
    lines.push('|---|---:|---:|---:|---|---|---|')
    for (const r of section.rows) {
      lines.push(
        `| ${cell(r.figure)} | ${cell(r.value)} | ${cell(r.spread)} | ${r.runs ?? ''} | ${cell(r.target)} | ${mark(r.ok)} | ${cell(r.note)} |`,
      )
    }
    lines.push('')
  }
  const missed = sections.flatMap((s) =>
    s.rows.filter((r) => r.ok === false).map((r) => `${s.title}: ${r.figure}`),
  )
  lines.push('## Summary', '')
  lines.push(missed.length ? `Missed targets (${missed.length}):` : 'Every target was met.')
  for (const m of missed) lines.push(`- ${m}`)
  lines.push('')
  return lines.join('\n')
}

export async function writeResults(file: string, markdown: string): Promise<void> {
  await writeFile(file, markdown)
}
