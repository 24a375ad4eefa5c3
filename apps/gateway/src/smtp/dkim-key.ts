import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { type DomainConfig, domainPaths } from '@federizer/node'

/** The DKIM selector of every Federizer domain's key (RFC 6376 §3.1). */
export const DKIM_SELECTOR = 'fz'

export interface DkimKey {
  domain: string
  selector: string
  privateKey: string
  /** The TXT record to publish: owner name and value (RFC 6376 §3.6.1). */
  txt: { name: string; data: string }
}

const file = (config: Pick<DomainConfig, 'dataDir'>) => path.join(domainPaths(config).keys, 'dkim-rsa.pem')

/**
 * The domain's DKIM key, beside its other keys (`keys/dkim-rsa.pem`, mode 0600); a 2048-bit RSA key is
 * made on first use (RFC 8301 §3.2 asks for at least 1024 bits).
 */
export async function loadDkimKey(config: Pick<DomainConfig, 'dataDir' | 'domain'>): Promise<DkimKey> {
  let pem: string
  try {
    pem = await readFile(file(config), 'utf8')
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') throw e
    // Encoded inside the key-pair job: exporting the job's KeyObject can deadlock Node 20 (keygen.ts).
    pem = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    }).privateKey
    await mkdir(domainPaths(config).keys, { recursive: true, mode: 0o700 })
    await writeFile(file(config), pem, { mode: 0o600, flag: 'wx' }).catch(async (err) => {
      if ((err as { code?: string }).code !== 'EEXIST') throw err
      pem = await readFile(file(config), 'utf8') // another process made it first
    })
  }
  const p = createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('base64')
  return {
    domain: config.domain,
    selector: DKIM_SELECTOR,
    privateKey: pem,
    txt: { name: `${DKIM_SELECTOR}._domainkey.${config.domain}`, data: `v=DKIM1; k=rsa; p=${p}` },
  }
}
