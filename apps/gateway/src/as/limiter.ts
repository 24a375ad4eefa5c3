import { createRequire } from 'node:module'
import { addRatePoints, type Db, deleteRateCounter, getRateCounter, type RateCounter } from '@federizer/store'
import {
  RateLimiterMemory,
  RateLimiterRes,
  type RateLimiterStoreAbstract as StoreAbstract,
} from 'rate-limiter-flexible'

// The base class of rate-limiter-flexible's database limiters: typed by the package, not exported by its
// index, so it is loaded from its file.
const RateLimiterStoreAbstract = createRequire(import.meta.url)(
  'rate-limiter-flexible/lib/RateLimiterStoreAbstract.js',
) as typeof StoreAbstract

/** One limit: at most `max` events per `windowSeconds` (a fixed window starting with the first event). */
export interface RateLimit {
  max: number
  windowSeconds: number
}

/** The AS's limits, by name. Mutable so operators and tests can tune them. */
export interface AsLimits {
  loginPerAccount: RateLimit
  loginPerIp: RateLimit
  tokenPerClient: RateLimit
  /** The domain's own MTA exchanges a token per message sent, forwarded and fetched: a far larger budget. */
  tokenPerMtaClient: RateLimit
  /** Failed client authentications at the token endpoint, per source address (checked before any work). */
  tokenFailuresPerAddress: RateLimit
}

/**
 * rate-limiter-flexible over the store's `rate_limits` table (packages/store/src/rate-counters.ts): every
 * replica of the gateway shares the counters. Nothing is ever evicted to make room (a counter leaves only
 * once its window ended), so flooding with new keys cannot free a blocked one. The per-peer budgets of
 * the federation edge (federation/quotas.ts) use the same table through `chargeBudgets`.
 */
class StoreRateLimiter extends RateLimiterStoreAbstract {
  constructor(
    private readonly db: Db,
    opts: { keyPrefix: string; points: number; duration: number; blockInMemory?: boolean },
  ) {
    // Once a key is over its limit, further hits in the window are answered from memory: a flood of
    // refused requests costs no writes. Off for a limiter whose refused points are given back (reward).
    const { blockInMemory = true, ...limit } = opts
    super({ ...limit, storeClient: db, inMemoryBlockOnConsumed: blockInMemory ? limit.points + 1 : 0 })
  }

  _getRateLimiterRes(_key: string, changedPoints: number, counter: RateCounter): RateLimiterRes {
    return new RateLimiterRes(
      Math.max(this.points - counter.points, 0),
      counter.expireMs === null ? -1 : Math.max(counter.expireMs - Date.now(), 0),
      counter.points,
      counter.points === changedPoints,
    )
  }

  _upsert(key: string, points: number, msDuration: number, forceExpire = false): Promise<RateCounter> {
    return addRatePoints(this.db, {
      key,
      points,
      nowMs: Date.now(),
      durationMs: msDuration,
      force: forceExpire,
    })
  }

  _get(key: string): Promise<RateCounter | null> {
    return getRateCounter(this.db, key, Date.now()).then((c) => c ?? null)
  }

  _delete(key: string): Promise<boolean> {
    return deleteRateCounter(this.db, key)
  }
}

type Limiter = RateLimiterMemory | StoreRateLimiter

/**
 * The AS's rate limits. Counters of strangers (sign-in per address and per account, token requests of the
 * public webmail client per address, failed client authentications per address) live in the store, shared
 * by replicas; the domain's own MTA, an authenticated confidential client on the hot path, has its own
 * budget in this process and never shares one with anybody else.
 */
export class AsLimiter {
  private readonly built = new Map<keyof AsLimits, { max: number; windowSeconds: number; limiter: Limiter }>()
  constructor(
    private readonly db: Db,
    readonly limits: AsLimits,
  ) {}

  private limiter(name: keyof AsLimits): Limiter {
    const { max, windowSeconds } = this.limits[name]
    const have = this.built.get(name)
    if (have && have.max === max && have.windowSeconds === windowSeconds) return have.limiter
    const opts = { keyPrefix: name, points: max, duration: windowSeconds }
    const limiter =
      name === 'tokenPerMtaClient' ? new RateLimiterMemory(opts) : new StoreRateLimiter(this.db, opts)
    this.built.set(name, { max, windowSeconds, limiter })
    return limiter
  }

  /** Records an event for `key` under `name`; 0 when allowed, else the seconds to wait (Retry-After, ≥ 1). */
  async consume(name: keyof AsLimits, key: string): Promise<number> {
    try {
      await this.limiter(name).consume(key, 1)
      return 0
    } catch (e) {
      if (e instanceof RateLimiterRes) return Math.max(1, Math.ceil(e.msBeforeNext / 1000))
      throw e
    }
  }

  /** The seconds `key` must wait before its next event under `name`, recording nothing (0 when it may act). */
  async check(name: keyof AsLimits, key: string): Promise<number> {
    const res = await this.limiter(name).get(key)
    if (!res || res.consumedPoints < this.limits[name].max) return 0
    return Math.max(1, Math.ceil(res.msBeforeNext / 1000))
  }

  /** Forgets `key` under `name` (a successful sign-in clears the account's failures). */
  async reset(name: keyof AsLimits, key: string): Promise<void> {
    await this.limiter(name).delete(key)
  }
}
