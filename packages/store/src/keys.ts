import { randomUUID } from 'node:crypto'
import { constants } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { type DomainConfig, domainPaths } from '@federizer/node'
import {
  type AllowedAlg,
  generatePrivateJwk,
  jwkThumbprint,
  type SigningKey,
  toPublicJwk,
} from '@federizer/protocol'
import { type CryptoKey, importJWK, type JWK } from 'jose'

/** One AS signing key as stored in `<dataDir>/keys/as-signing.json`. Times are seconds since the epoch. */
export interface StoredSigningKey {
  kid: string
  alg: AllowedAlg
  privateJwk: JWK
  publicJwk: JWK
  createdAt: number
  /** The key is published from creation but signs only from this time on (rotation publishes first). */
  activatesAt: number
  /** Set when a newer key takes over; the key stays published so old chains still verify. */
  retiredAt?: number
}

export interface StoredClientKey {
  kid: string
  alg: AllowedAlg
  privateJwk: JWK
  publicJwk: JWK
}

export interface DomainKeys {
  /** The key that signs now: the newest key whose activatesAt has passed and that is not retired. */
  activeSigningKey(now?: number): SigningKey
  /** Every published AS key (active, announced and retired), for `/jwks`. */
  publicJwks(): { keys: JWK[] }
  /** When an AS key signs (activatesAt until retiredAt), from the rotation records; undefined if unknown. */
  signingWindow(kid: string): { from: number; until?: number } | undefined
  /** The domain MTA's private_key_jwt key (RFC 7523); the AS registers its public half. */
  mtaClientKey: SigningKey & { publicJwk: JWK }
  /** Re-reads `as-signing.json` when it changed on disk (a rotation by the operator CLI); true if it did. */
  refresh(): Promise<boolean>
}

export type KeyStoreErrorCode = 'malformed_key_file' | 'no_active_key'

export class KeyStoreError extends Error {
  override readonly name = 'KeyStoreError'
  constructor(
    readonly code: KeyStoreErrorCode,
    message: string,
  ) {
    super(message)
  }
}

const SIGNING_FILE = 'as-signing.json'
const MTA_FILE = 'mta-client.json'
/** How long a rotated-in key is published before it signs: longer than any JWKS cache (1 h). */
export const DEFAULT_PUBLISH_AHEAD_SECONDS = 2 * 3600

const nowSeconds = () => Math.floor(Date.now() / 1000)

/**
 * Generates a key pair for an allow-listed alg; `kid` is the RFC 7638 thumbprint and the public JWK
 * carries kid, alg and use.
 * @see RFC 7638 §3
 */
export async function generateStoredKey(alg: AllowedAlg = 'ES256'): Promise<StoredClientKey> {
  const privateJwk = generatePrivateJwk(alg)
  const publicJwk = toPublicJwk(privateJwk)
  const kid = await jwkThumbprint(publicJwk)
  return {
    kid,
    alg,
    privateJwk: { ...privateJwk, kid, alg },
    publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
  }
}

async function ensureFolder(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 })
  await fs.chmod(dir, 0o700)
}

/** Writes JSON to a 0600 temp file, fsyncs it and renames it into place (atomic replace). */
async function writeJsonFile(file: string, value: unknown): Promise<void> {
  const temp = `${file}.${randomUUID()}.tmp`
  const handle = await fs.open(temp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600)
  try {
    await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await fs.rename(temp, file)
}

/** Creates `file` only if it does not exist (link fails with EEXIST), so two processes never race. */
async function createJsonFileOnce(file: string, value: unknown): Promise<void> {
  const temp = `${file}.${randomUUID()}.tmp`
  await writeJsonFile(temp, value)
  try {
    await fs.link(temp, file)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
  } finally {
    await fs.rm(temp, { force: true })
  }
}

async function readJsonFile<T>(file: string, check: (v: unknown) => v is T): Promise<T> {
  let value: unknown
  try {
    value = JSON.parse(await fs.readFile(file, 'utf8'))
  } catch (e) {
    throw new KeyStoreError('malformed_key_file', `${file} is not readable JSON: ${(e as Error).message}`)
  }
  if (!check(value))
    throw new KeyStoreError('malformed_key_file', `${file} does not hold the expected key fields`)
  return value
}

const isKey = (k: unknown): k is StoredClientKey =>
  typeof k === 'object' &&
  k !== null &&
  typeof (k as StoredClientKey).kid === 'string' &&
  ['ES256', 'EdDSA', 'RS256'].includes((k as StoredClientKey).alg) &&
  typeof (k as StoredClientKey).privateJwk === 'object' &&
  typeof (k as StoredClientKey).publicJwk === 'object'

const isSigningFile = (v: unknown): v is { keys: StoredSigningKey[] } =>
  typeof v === 'object' &&
  v !== null &&
  Array.isArray((v as { keys: unknown }).keys) &&
  (v as { keys: unknown[] }).keys.length > 0 &&
  (v as { keys: unknown[] }).keys.every(
    (k) => isKey(k) && typeof (k as StoredSigningKey).activatesAt === 'number',
  )

/** Reads the stored AS keys (no private material is exposed by the returned objects' `publicJwk`). */
export async function readSigningKeys(config: Pick<DomainConfig, 'dataDir'>): Promise<StoredSigningKey[]> {
  const file = path.join(domainPaths(config).keys, SIGNING_FILE)
  return (await readJsonFile(file, isSigningFile)).keys
}

/**
 * Opens the domain's keys, creating `as-signing.json` (one key, ES256 unless `alg`, active at once) and
 * `mta-client.json` (ES256 unless `mtaAlg`) on first start, in a 0700 folder with 0600 files.
 */
export async function loadOrCreateDomainKeys(
  config: Pick<DomainConfig, 'dataDir'>,
  options: { alg?: AllowedAlg; mtaAlg?: AllowedAlg; now?: () => number } = {},
): Promise<DomainKeys> {
  const dir = domainPaths(config).keys
  const clock = options.now ?? nowSeconds
  await ensureFolder(dir)
  const signingFile = path.join(dir, SIGNING_FILE)
  const mtaFile = path.join(dir, MTA_FILE)
  if (!(await exists(signingFile))) {
    const key = await generateStoredKey(options.alg)
    const created = clock()
    await createJsonFileOnce(signingFile, { keys: [{ ...key, createdAt: created, activatesAt: created }] })
  }
  if (!(await exists(mtaFile)))
    await createJsonFileOnce(mtaFile, await generateStoredKey(options.mtaAlg ?? 'ES256'))

  const mta = await readJsonFile(mtaFile, isKey)
  const mtaClientKey = {
    kid: mta.kid,
    alg: mta.alg,
    privateKey: (await importJWK(mta.privateJwk, mta.alg)) as CryptoKey,
    publicJwk: mta.publicJwk,
  }

  let loaded = await loadSigning(signingFile)
  // Re-reading is throttled to once a second of either clock (the injected one may be frozen in tests).
  let lastCheck = { clock: clock(), real: Date.now() }
  return {
    mtaClientKey,
    activeSigningKey(now = clock()) {
      const candidates = loaded.keys
        .filter(
          (k) =>
            k.stored.activatesAt <= now && (k.stored.retiredAt === undefined || k.stored.retiredAt > now),
        )
        .sort((a, b) => b.stored.activatesAt - a.stored.activatesAt)
      const active = candidates[0]
      if (!active) throw new KeyStoreError('no_active_key', `no AS signing key is active in ${signingFile}`)
      return active.signing
    },
    publicJwks() {
      return { keys: loaded.keys.map((k) => ({ ...k.stored.publicJwk })) }
    },
    signingWindow(kid) {
      const stored = loaded.keys.find((k) => k.stored.kid === kid)?.stored
      if (stored === undefined) return undefined
      return stored.retiredAt === undefined
        ? { from: stored.activatesAt }
        : { from: stored.activatesAt, until: stored.retiredAt }
    },
    async refresh() {
      const now = { clock: clock(), real: Date.now() }
      if (now.clock === lastCheck.clock && now.real - lastCheck.real < 1000) return false
      lastCheck = now
      const stat = await fs.stat(signingFile)
      // A rotation renames a new file into place: a new inode even when the mtime looks the same.
      if (stat.mtimeMs === loaded.mtimeMs && stat.ino === loaded.ino) return false
      loaded = await loadSigning(signingFile)
      return true
    },
  }
}

async function loadSigning(file: string) {
  const stat = await fs.stat(file)
  const stored = (await readJsonFile(file, isSigningFile)).keys
  const keys = await Promise.all(
    stored.map(async (k) => ({
      stored: k,
      signing: {
        kid: k.kid,
        alg: k.alg,
        privateKey: (await importJWK(k.privateJwk, k.alg)) as CryptoKey,
      } as SigningKey,
    })),
  )
  return { mtimeMs: stat.mtimeMs, ino: stat.ino, keys }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file)
    return true
  } catch {
    return false
  }
}

/**
 * Rotation: adds a new key that is published at once and signs from `now + publishAheadSeconds`; the
 * key it replaces gets `retiredAt` = that time and stays published (old envelope chains keep verifying).
 */
export async function rotateSigningKey(
  config: Pick<DomainConfig, 'dataDir'>,
  alg: AllowedAlg = 'ES256',
  options: { now?: number; publishAheadSeconds?: number } = {},
): Promise<StoredSigningKey> {
  const now = options.now ?? nowSeconds()
  const activatesAt = now + (options.publishAheadSeconds ?? DEFAULT_PUBLISH_AHEAD_SECONDS)
  const file = path.join(domainPaths(config).keys, SIGNING_FILE)
  const keys = await readSigningKeys(config)
  const generated = await generateStoredKey(alg)
  const next: StoredSigningKey = { ...generated, createdAt: now, activatesAt }
  const updated = keys.map((k) =>
    k.retiredAt === undefined || k.retiredAt > activatesAt ? { ...k, retiredAt: activatesAt } : k,
  )
  await writeJsonFile(file, { keys: [...updated, next] })
  return next
}
