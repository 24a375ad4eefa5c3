import { createLeanFetch } from '@federizer/domain'

/**
 * The fetch of the bench's own client (the senders' tRPC calls and uploads): the domain's lean fetch
 * (undici's `request` on a keep-alive agent, a buffered `Response`) instead of the global fetch, whose
 * WHATWG streams cost the client ~0.5 ms more CPU per text message. The client is not what is measured
 * (its CPU is reported apart), but on a 2-core machine every millisecond it spends is taken from the
 * servers, as Postfix's `smtp-source`, written in C, takes little from Postfix. The requests on the wire
 * are the same.
 */
const client = createLeanFetch({ connections: 64, maxAnswerBytes: 16 * 1024 * 1024, timeoutMs: 120_000 })

export const clientFetch = client.fetch

/** Closes the client's connections (at the end of a run). */
export const closeClientFetch = () => client.close()
