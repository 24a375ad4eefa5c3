// The slice of @federizer/devnet's API the Node integration tests use, for the DOM-typed program
// (tsconfig.json). devnet's own source is written against Node's fetch types and does not compile under
// lib "DOM"; e2e/ (tsconfig.e2e.json, Node types only) uses the real declarations.

export interface NetworkUser {
  email: string
  password: string
  name?: string
  autoForwardTo?: string[]
}

export interface NetworkNode {
  domain: string
  gatewayUrl: string
  apiUrl: string
  running: boolean
  stop(): Promise<void>
  start(): Promise<void>
  accessToken(email: string): Promise<string>
  config: { webClientId: string }
}

export interface Network {
  node(domain: string): NetworkNode
  stop(): Promise<void>
}

export function startNetwork(options: {
  domains: Array<{ domain: string; users: NetworkUser[] }>
  dataRoot: string
  undoSendSeconds?: number
}): Promise<Network>

export function sendMail(
  node: NetworkNode,
  mail: { from: string; to?: string[]; cc?: string[]; subject: string; text?: string; html?: string },
): Promise<{ rowId: string; messageIdHeader: string }>
