// Contract-test helper: validates real responses against openapi/federizer.yaml with ajv (JSON Schema 2020-12).
// Reused by every gateway suite: `const contract = await loadContract()`, then
// `await contract.expectResponse(response, { path: '/token', method: 'post' })`.
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { parse } from 'yaml'

export const OPENAPI_FILE = fileURLToPath(new URL('../../../openapi/federizer.yaml', import.meta.url))
const DOC_ID = 'https://federizer.invalid/openapi.json'

type Json = Record<string, unknown>

export interface ResponseLike {
  status: number
  headers: Headers
  /** The body as text (read it once in the test and pass it here). */
  text: string
}

export interface Contract {
  doc: Json
  /** Throws with every schema error when `response` does not satisfy the operation's documented response. */
  check(response: ResponseLike, operation: { path: string; method: string }): void
  /** Reads a fetch Response and checks it; returns the parsed JSON body (or the text for non-JSON). */
  expectResponse(response: Response, operation: { path: string; method: string }): Promise<unknown>
}

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')

/** Follows one local `$ref` (`#/components/...`) to its target in the document. */
function deref(doc: Json, value: unknown): Json | undefined {
  let node = value as Json | undefined
  for (let i = 0; i < 10 && node && typeof node.$ref === 'string'; i++) {
    const path = (node.$ref as string).replace(/^#\//, '').split('/')
    node = path.reduce<unknown>(
      (n, key) => (n as Json | undefined)?.[key.replace(/~1/g, '/').replace(/~0/g, '~')],
      doc,
    ) as Json
  }
  return node
}

/** Loads openapi/federizer.yaml once and prepares validators for its responses. */
export async function loadContract(file = OPENAPI_FILE): Promise<Contract> {
  const doc = parse(await readFile(file, 'utf8')) as Json
  // The whole document is registered as one schema resource, so `#/components/schemas/X` refs resolve.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false })
  addFormats(ajv)
  ajv.addSchema({ ...doc, $id: DOC_ID })
  const cache = new Map<string, ValidateFunction>()

  function check(response: ResponseLike, operation: { path: string; method: string }): void {
    const method = operation.method.toLowerCase()
    const op = (doc.paths as Json | undefined)?.[operation.path] as Json | undefined
    const opObject = op?.[method] as Json | undefined
    if (!opObject) throw new Error(`${method.toUpperCase()} ${operation.path} is not in the OpenAPI document`)
    const responses = opObject.responses as Json
    const key =
      String(response.status) in responses ? String(response.status) : `${String(response.status)[0]}XX`
    const documented = deref(doc, responses[key] ?? responses.default)
    if (!documented) {
      throw new Error(`${method.toUpperCase()} ${operation.path} does not document status ${response.status}`)
    }
    for (const [name, header] of Object.entries((documented.headers as Json | undefined) ?? {})) {
      if (deref(doc, header)?.required && !response.headers.has(name)) {
        throw new Error(
          `${method.toUpperCase()} ${operation.path} ${response.status}: header ${name} is required`,
        )
      }
    }
    const content = documented.content as Json | undefined
    if (!content) {
      if (response.text !== '')
        throw new Error(`${operation.path} ${response.status}: no body is documented, got one`)
      return
    }
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim()
    const media = content[mediaType] as Json | undefined
    if (!media) {
      throw new Error(
        `${operation.path} ${response.status}: content type "${mediaType}" is not documented (${Object.keys(content).join(', ')})`,
      )
    }
    if (!media.schema) return
    const ref = `${DOC_ID}#/${pointer('paths', operation.path, method, 'responses', key)}`
    const schemaRef =
      typeof (responses[key] as Json).$ref === 'string'
        ? `${DOC_ID}${(responses[key] as Json).$ref as string}/content/${pointer(mediaType)}/schema`
        : `${ref}/content/${pointer(mediaType)}/schema`
    let validate = cache.get(schemaRef)
    if (!validate) {
      validate = ajv.compile({ $ref: schemaRef })
      cache.set(schemaRef, validate)
    }
    const body = /json/.test(mediaType) ? JSON.parse(response.text) : response.text
    if (!validate(body)) {
      throw new Error(
        `${method.toUpperCase()} ${operation.path} ${response.status} does not match the contract:\n${ajv.errorsText(validate.errors, { separator: '\n' })}\nbody: ${response.text.slice(0, 500)}`,
      )
    }
  }

  return {
    doc,
    check,
    async expectResponse(response, operation) {
      const text = await response.text()
      check({ status: response.status, headers: response.headers, text }, operation)
      return /json/.test(response.headers.get('content-type') ?? '') && text !== '' ? JSON.parse(text) : text
    },
  }
}
