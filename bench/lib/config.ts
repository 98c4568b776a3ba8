import { type Config, loadConfig } from '../../src/config.js'

/** Lantern as the bench runs it: production defaults, but limits and holds that a load test would trip lifted. */
export function benchConfig(): Config {
  return {
    ...loadConfig({ LOG_LEVEL: 'warn' }),
    logLevel: 'warn',
    rateLimit: { loginPerMinute: 1e6, loginPerIpPerMinute: 1e6, signupPerHour: 1e6, writesPerMinute: 1e9, writesPerIpPerMinute: 1e9 },
    newAccountHoldPosts: 0,
    // The live part opens up to 10,000 sockets of a few accounts from one address.
    liveSockets: { perAccount: 1e6, perAddress: 1e6, unauthenticatedPerAddress: 1e6 }
  }
}
