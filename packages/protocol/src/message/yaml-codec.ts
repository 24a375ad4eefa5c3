import { Document, isAlias, isMap, isPair, isScalar, isSeq, type Node, parseDocument, visit } from 'yaml'
import { ProtocolError } from '../errors.ts'
import { checkTextSize, normalizeMessage } from './json-codec.ts'
import { LIMITS } from './limits.ts'
import { parsePlaceholderMessage } from './schema.ts'
import type { Part, PlaceholderMessage } from './types.ts'

/** A YAML mapping kept as ordered entries (never a JS object: no prototype keys, order explicit). */
type Plain = string | Plain[] | { entries: Array<[string, Plain]> }
const MAX_YAML_DEPTH = 2 * LIMITS.maxPartDepth + 8

function yamlError(message: string, cause?: unknown): ProtocolError {
  return new ProtocolError('malformed_yaml', `invalid Placeholder Message YAML: ${message}`, { cause })
}

function toPlain(node: unknown, depth: number): Plain {
  if (depth > MAX_YAML_DEPTH)
    throw new ProtocolError('too_large', `YAML nested deeper than ${MAX_YAML_DEPTH} levels`)
  if (node === null || node === undefined) return ''
  if (isScalar(node)) {
    if (typeof node.value !== 'string') throw yamlError('only string scalars are allowed')
    return node.value
  }
  if (isSeq(node)) return node.items.map((item) => toPlain(item, depth + 1))
  if (isMap(node)) {
    const entries: Array<[string, Plain]> = []
    for (const pair of node.items) {
      if (!isPair(pair) || !isScalar(pair.key) || typeof pair.key.value !== 'string') {
        throw yamlError('mapping keys must be plain strings')
      }
      // A plain `<<` is a merge key to YAML 1.1 parsers; a quoted "<<" is an ordinary header name.
      if (pair.key.value === '<<' && pair.key.type === 'PLAIN')
        throw yamlError('merge keys (<<) are not allowed')
      entries.push([pair.key.value, toPlain(pair.value, depth + 1)])
    }
    return { entries }
  }
  throw yamlError('unsupported YAML node')
}

const isMapping = (p: Plain): p is { entries: Array<[string, Plain]> } =>
  typeof p === 'object' && !Array.isArray(p)

function expectKeys(p: Plain, where: string, allowed: string[], required: string[]): Map<string, Plain> {
  if (!isMapping(p)) throw yamlError(`${where} must be a mapping`)
  const map = new Map(p.entries)
  for (const [k] of p.entries) if (!allowed.includes(k)) throw yamlError(`${where} has an unknown key "${k}"`)
  for (const k of required) if (!map.has(k)) throw yamlError(`${where} lacks "${k}"`)
  return map
}

function expectList(p: Plain | undefined, where: string): Plain[] {
  if (!Array.isArray(p)) throw yamlError(`${where} must be a list`)
  return p
}

function headersFromYaml(p: Plain | undefined, where: string): unknown[] {
  return expectList(p, where).map((item, i) => {
    if (!isMapping(item) || item.entries.length !== 1) {
      throw yamlError(`${where}[${i}] must be a single "Name: value" mapping`)
    }
    const [name, value] = item.entries[0]!
    return [name, value]
  })
}

function partFromYaml(p: Plain, where: string): unknown {
  const map = expectKeys(p, where, ['headers', 'parts'], ['headers'])
  const headers = headersFromYaml(map.get('headers'), `${where}.headers`)
  if (!map.has('parts')) return { headers }
  return {
    headers,
    parts: expectList(map.get('parts'), `${where}.parts`).map((c, i) =>
      partFromYaml(c, `${where}.parts[${i}]`),
    ),
  }
}

/** A YAML document read as data: strings, lists and ordered mappings (never a typed scalar). */
export type YamlData = Plain

/**
 * Reads YAML text as data the way docs/protocol.md §1.2 prescribes: every scalar is a string (YAML
 * failsafe schema); aliases, anchors, tags, merge keys, duplicate keys and multiple documents are
 * refused; the text is size-checked before parsing.
 * @see YAML 1.2.2 §10.1 (failsafe schema)
 */
export function parseYamlData(text: string): YamlData {
  if (typeof text !== 'string') throw yamlError('expected a string')
  checkTextSize(text, 'YAML')
  let doc: ReturnType<typeof parseDocument>
  try {
    doc = parseDocument(text, {
      schema: 'failsafe',
      uniqueKeys: true,
      merge: false,
      strict: true,
      version: '1.2',
    })
  } catch (cause) {
    if (cause instanceof RangeError)
      throw new ProtocolError('too_large', 'the YAML is nested too deeply', { cause })
    throw yamlError((cause as Error).message, cause)
  }
  const problem = doc.errors[0] ?? doc.warnings[0]
  if (problem) throw yamlError((problem.message.split('\n')[0] ?? problem.code).replace(/:$/, ''), problem)
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) throw yamlError('aliases (*name) are not allowed')
      const n = node as Node
      if (n.anchor) throw yamlError('anchors (&name) are not allowed')
      if (n.tag) throw yamlError(`tags (${n.tag}) are not allowed`)
    },
  })
  return toPlain(doc.contents, 0)
}

/** The top-level mapping of YAML data, checked against the allowed and required keys. */
export function yamlMapping(
  data: YamlData,
  where: string,
  allowed: string[],
  required: string[] = [],
): Map<string, YamlData> {
  return expectKeys(data, where, allowed, required)
}

/** A list of strings in YAML data (e.g. a delivery's `recipients`). */
export function yamlStringList(data: YamlData | undefined, where: string): string[] {
  return expectList(data, where).map((item, i) => {
    if (typeof item !== 'string') throw yamlError(`${where}[${i}] must be a string`)
    return item
  })
}

/** Envelope blocks in the §1.2 layout → the JSON model's blocks (not yet validated). */
export function envelopeFromYaml(data: YamlData | undefined, where = 'envelope'): unknown[] {
  return expectList(data, where).map((block, i) => {
    const at = `${where}[${i}]`
    const map = expectKeys(block, at, ['headers', 'jwt-assertion'], [])
    if (map.size !== 1) throw yamlError(`${at} must be either "headers" or "jwt-assertion"`)
    if (map.has('headers')) return { headers: headersFromYaml(map.get('headers'), `${at}.headers`) }
    return { 'jwt-assertion': map.get('jwt-assertion') }
  })
}

/** A Placeholder Message in the §1.2 layout (already read by `parseYamlData`) → the validated model. */
export function messageFromYaml(data: YamlData, where = 'the document'): PlaceholderMessage {
  const top = expectKeys(data, where, ['envelope', 'parts'], ['envelope'])
  const envelope = envelopeFromYaml(top.get('envelope'))
  const parts = top.has('parts')
    ? expectList(top.get('parts'), 'parts').map((p, i) => partFromYaml(p, `parts[${i}]`))
    : []
  return parsePlaceholderMessage({ envelope, parts })
}

/**
 * Parses the YAML rendering of a Placeholder Message (the layout of the seed's figures,
 * docs/protocol.md §1.2). Every scalar is read as a string (YAML failsafe schema).
 * @see YAML 1.2.2 §10.1 (failsafe schema)
 */
export function parseMessageYaml(text: string): PlaceholderMessage {
  return messageFromYaml(parseYamlData(text))
}

function partToYaml(p: Part): unknown {
  const headers = p.headers.map(([k, v]) => ({ [k]: v }))
  return p.parts === undefined ? { headers } : { headers, parts: p.parts.map(partToYaml) }
}

/**
 * Renders a Placeholder Message as YAML in the seed's layout: `envelope:` (newest first) of `- headers:`
 * (single-key maps) and `- jwt-assertion:` blocks, then `parts:`. Ambiguous strings are quoted (YAML 1.1
 * rules, so older parsers also read them as strings); lines are never folded.
 */
export function serializeMessageYaml(m: PlaceholderMessage): string {
  const n = normalizeMessage(m)
  const doc = new Document(
    {
      envelope: n.envelope.map((b) =>
        'headers' in b
          ? { headers: b.headers.map(([k, v]) => ({ [k]: v })) }
          : { 'jwt-assertion': b['jwt-assertion'] },
      ),
      parts: n.parts.map(partToYaml),
    },
    { version: '1.1' },
  )
  const text = doc.toString({ lineWidth: 0, minContentWidth: 0, directives: false })
  return text
}
