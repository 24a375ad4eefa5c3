import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { Router } from 'express'
import { parse } from 'yaml'

/** Where the OpenAPI document lives in the repository (the gateway serves it as it stands). */
const OPENAPI_PATH = fileURLToPath(new URL('../../../../openapi/federizer.yaml', import.meta.url))
const PARTIAL_PATH = fileURLToPath(new URL('../../../../openapi/federation.partial.yaml', import.meta.url))

const esc = (s: unknown) =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  )

type Doc = {
  info?: { title?: string; version?: string; description?: string }
  paths?: Record<string, Record<string, Operation>>
  components?: { schemas?: Record<string, unknown> }
}
type Operation = {
  summary?: string
  description?: string
  tags?: string[]
  parameters?: Array<{ name?: string; in?: string; required?: boolean; description?: string; $ref?: string }>
  requestBody?: { content?: Record<string, { schema?: unknown; example?: unknown }> }
  responses?: Record<
    string,
    { description?: string; content?: Record<string, { schema?: unknown; example?: unknown }> }
  >
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete']

/** Renders the OpenAPI document as one self-contained HTML page (no script, no CDN). */
function renderApiReference(doc: Doc): string {
  const ops: string[] = []
  const toc: string[] = []
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method]
      if (!op) continue
      const anchor = `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, '-')
      toc.push(
        `<li><a href="#${anchor}"><code class="m ${method}">${method.toUpperCase()}</code> ${esc(path)}</a></li>`,
      )
      const params = (op.parameters ?? [])
        .filter((p) => p.name)
        .map(
          (p) =>
            `<li><code>${esc(p.name)}</code> (${esc(p.in)}${p.required ? ', required' : ''}) ${esc(p.description)}</li>`,
        )
        .join('')
      const body = Object.entries(op.requestBody?.content ?? {})
        .map(
          ([type, c]) =>
            `<h4>Request body <code>${esc(type)}</code></h4><pre>${esc(JSON.stringify(c.schema, null, 2))}</pre>` +
            (c.example !== undefined
              ? `<details><summary>Example</summary><pre>${esc(JSON.stringify(c.example, null, 2))}</pre></details>`
              : ''),
        )
        .join('')
      const responses = Object.entries(op.responses ?? {})
        .map(
          ([status, r]) =>
            `<li><strong>${esc(status)}</strong> ${esc(r.description)}${Object.entries(r.content ?? {})
              .map(
                ([type, c]) =>
                  ` <code>${esc(type)}</code>${c.schema ? `<pre>${esc(JSON.stringify(c.schema, null, 2))}</pre>` : ''}`,
              )
              .join('')}</li>`,
        )
        .join('')
      ops.push(
        `<section id="${anchor}"><h3><code class="m ${method}">${method.toUpperCase()}</code> ${esc(path)}</h3>` +
          `<p><strong>${esc(op.summary)}</strong></p><p>${esc(op.description)}</p>` +
          (params ? `<h4>Parameters</h4><ul>${params}</ul>` : '') +
          body +
          `<h4>Responses</h4><ul>${responses}</ul></section>`,
      )
    }
  }
  const schemas = Object.entries(doc.components?.schemas ?? {})
    .map(
      ([name, s]) =>
        `<section id="schema-${esc(name)}"><h3>${esc(name)}</h3><pre>${esc(JSON.stringify(s, null, 2))}</pre></section>`,
    )
    .join('')
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(doc.info?.title ?? 'API reference')}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:0 auto;padding:1rem 1.5rem;color:#1b1f24}
pre{background:#f4f6f8;padding:.75rem;overflow:auto;border-radius:6px;font-size:13px}section{border-top:1px solid #dde2e7;padding-top:.5rem}
code.m{font-weight:700;padding:0 .3rem;border-radius:4px;color:#fff;background:#57606a}code.post{background:#1f6feb}code.get{background:#1a7f37}
a{color:#0b57d0}nav ul{columns:2}</style></head><body>
<header><h1>${esc(doc.info?.title)}</h1><p>Version ${esc(doc.info?.version)} · <a href="openapi.yaml">openapi.yaml</a></p><p>${esc(doc.info?.description)}</p></header>
<nav aria-label="Endpoints"><h2>Endpoints</h2><ul>${toc.join('')}</ul></nav>
<main><h2>Operations</h2>${ops.join('')}<h2>Schemas</h2>${schemas}</main></body></html>`
}

/** `/openapi.yaml` and `/docs`: the gateway's contract, as a document and as a readable page. */
export function createDocsRouter(): Router {
  const router = Router()
  let cached: Promise<{ yaml: string; html: string }> | undefined
  const load = () =>
    (cached ??= (async () => {
      const yaml = await readFile(OPENAPI_PATH, 'utf8').catch(() => readFile(PARTIAL_PATH, 'utf8'))
      return { yaml, html: renderApiReference(parse(yaml) as Doc) }
    })().catch((e) => {
      cached = undefined
      throw e
    }))
  router.get('/openapi.yaml', async (_req, res, next) => {
    try {
      res
        .type('application/yaml')
        .set('cache-control', 'no-cache')
        .send((await load()).yaml)
    } catch (e) {
      next(e)
    }
  })
  router.get('/docs', async (_req, res, next) => {
    try {
      res
        .type('text/html')
        .set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .set('cache-control', 'no-cache')
        .send((await load()).html)
    } catch (e) {
      next(e)
    }
  })
  return router
}
