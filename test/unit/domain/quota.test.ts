import { decideQuota, emptySendLog, fitSendLog, quotaEdges, recordInSendLog, type QuotaPolicy } from '../../../src/domain/quota.js';

const policy: QuotaPolicy = { cooldownSeconds: 60, maxPerWindow: 5, windowSeconds: 3600 };
const T = 1_800_000_000_000; // a fixed "now", epoch ms
const s = (seconds: number) => seconds * 1000;

/** Applies sends at the given times, each only if the quota allowed it; returns the log. */
function sendAt(times: number[], p: QuotaPolicy = policy): { log: number[]; allowed: number[] } {
  let log = emptySendLog(p);
  const allowed: number[] = [];
  for (const time of times) {
    if (decideQuota(log, p, time).allowed) {
      log = recordInSendLog(log, p, time);
      allowed.push(time);
    }
  }
  return { log, allowed };
}

describe('quota', () => {
  test('an empty log has one zero slot per allowed send and allows the first send', () => {
    expect(emptySendLog(policy)).toEqual([0, 0, 0, 0, 0]);
    expect(decideQuota(emptySendLog(policy), policy, T)).toEqual({ allowed: true });
  });

  test('recording shifts the log left and writes now last', () => {
    expect(recordInSendLog([1, 2, 3, 4, 5], policy, T)).toEqual([2, 3, 4, 5, T]);
    expect(recordInSendLog(emptySendLog(policy), policy, T)).toEqual([0, 0, 0, 0, T]);
  });

  test('cooldown: refused until the newest send is a full cooldown old, then allowed', () => {
    const log = recordInSendLog(emptySendLog(policy), policy, T);
    expect(decideQuota(log, policy, T)).toEqual({ allowed: false, retryAfterSeconds: 60 });
    expect(decideQuota(log, policy, T + s(59))).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(decideQuota(log, policy, T + s(60) - 1)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(decideQuota(log, policy, T + s(60))).toEqual({ allowed: true });
  });

  test('Retry-After is whole seconds rounded up, and exact on whole seconds', () => {
    const log = recordInSendLog(emptySendLog(policy), policy, T);
    expect(decideQuota(log, policy, T + 1)).toEqual({ allowed: false, retryAfterSeconds: 60 }); // 59.999 s -> 60
    expect(decideQuota(log, policy, T + 1500)).toEqual({ allowed: false, retryAfterSeconds: 59 }); // 58.5 s -> 59
    expect(decideQuota(log, policy, T + s(20))).toEqual({ allowed: false, retryAfterSeconds: 40 }); // exactly 40
    expect(decideQuota(log, policy, T + s(20) + 1)).toEqual({ allowed: false, retryAfterSeconds: 40 }); // 39.999 -> 40
  });

  test('sliding window: at most maxPerWindow sends per window, the next when the oldest leaves it', () => {
    // Six attempts a cooldown apart: five go out, the sixth is refused until T + 3600 s.
    const times = [0, 60, 120, 180, 240, 300].map((sec) => T + s(sec));
    const { log, allowed } = sendAt(times);
    expect(allowed).toEqual(times.slice(0, 5));
    expect(log).toEqual(times.slice(0, 5));
    expect(decideQuota(log, policy, T + s(300))).toEqual({ allowed: false, retryAfterSeconds: 3300 });
    expect(decideQuota(log, policy, T + s(3599) + 1)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(decideQuota(log, policy, T + s(3600))).toEqual({ allowed: true });
    // The window slides: after the oldest leaves, the next one is bound by the second oldest.
    const next = recordInSendLog(log, policy, T + s(3600));
    expect(decideQuota(next, policy, T + s(3660))).toEqual({ allowed: true });
    const after = recordInSendLog(next, policy, T + s(3660));
    // [120, 180, 240, 3600, 3660] s: the send at 120 s leaves the window at 3720 s.
    expect(decideQuota(after, policy, T + s(3700))).toEqual({ allowed: false, retryAfterSeconds: 20 });
    expect(decideQuota(after, policy, T + s(3720))).toEqual({ allowed: true });
  });

  test('Retry-After is the later of the cooldown and the window', () => {
    const log = [T, T + s(100), T + s(200), T + s(300), T + s(3590)];
    // Window edge: T + 3600 s; cooldown edge: T + 3650 s. At T + 3595 s the cooldown decides.
    expect(decideQuota(log, policy, T + s(3595))).toEqual({ allowed: false, retryAfterSeconds: 55 });
    const crowded = [T + s(3500), T + s(3510), T + s(3520), T + s(3530), T + s(3540)];
    // Cooldown long past at T + 4000 s, window holds all five until T + 7100 s.
    expect(decideQuota(crowded, policy, T + s(4000))).toEqual({ allowed: false, retryAfterSeconds: 3100 });
  });

  test('Retry-After is at least 1 while refused', () => {
    const zeroCooldown: QuotaPolicy = { cooldownSeconds: 0, maxPerWindow: 2, windowSeconds: 10 };
    const log = [T - s(10) + 1, T];
    const decision = decideQuota(log, zeroCooldown, T);
    expect(decision).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  test('cooldown 0: a burst at one instant sends exactly maxPerWindow', () => {
    const burst: QuotaPolicy = { cooldownSeconds: 0, maxPerWindow: 5, windowSeconds: 3600 };
    const { allowed, log } = sendAt(new Array<number>(50).fill(T), burst);
    expect(allowed).toHaveLength(5);
    expect(log).toEqual([T, T, T, T, T]);
    expect(decideQuota(log, burst, T)).toEqual({ allowed: false, retryAfterSeconds: 3600 });
  });

  test('quotaEdges are the instants a store condition compares the log with', () => {
    expect(quotaEdges(policy, T)).toEqual({ cooldownEdge: T - s(60), windowEdge: T - s(3600) });
    // The edges agree with decideQuota: allowed iff newest <= cooldownEdge and oldest <= windowEdge.
    const { cooldownEdge, windowEdge } = quotaEdges(policy, T);
    for (const [oldest, newest] of [
      [windowEdge, cooldownEdge],
      [windowEdge + 1, cooldownEdge],
      [windowEdge, cooldownEdge + 1],
      [0, 0],
    ] as const) {
      const log = [oldest, oldest, oldest, oldest, newest];
      expect(decideQuota(log, policy, T).allowed).toBe(oldest <= windowEdge && newest <= cooldownEdge);
    }
  });

  describe('a log written under another maxPerWindow', () => {
    test('a shorter log is padded with empty slots in front', () => {
      expect(fitSendLog([T - 1, T], policy)).toEqual([0, 0, 0, T - 1, T]);
    });

    test('a longer log keeps its most recent sends', () => {
      expect(fitSendLog([1, 2, 3, 4, 5, 6, 7], policy)).toEqual([3, 4, 5, 6, 7]);
    });

    test('a log of the right length is unchanged', () => {
      expect(fitSendLog([1, 2, 3, 4, 5], policy)).toEqual([1, 2, 3, 4, 5]);
    });

    test('decisions use the fitted log: lowering the max refuses, raising it allows', () => {
      const threeSent = [T - s(300), T - s(200), T - s(100)];
      // Under max 3 the window is full; under max 5 two more may go.
      expect(decideQuota(threeSent, { ...policy, maxPerWindow: 3 }, T)).toEqual({ allowed: false, retryAfterSeconds: 3300 });
      expect(decideQuota(threeSent, policy, T)).toEqual({ allowed: true });
      // A five-slot log read under max 2: only the two newest count.
      const fiveSent = [T - s(500), T - s(400), T - s(300), T - s(200), T - s(100)];
      expect(decideQuota(fiveSent, { ...policy, maxPerWindow: 2 }, T)).toEqual({ allowed: false, retryAfterSeconds: 3400 });
      expect(recordInSendLog(threeSent, policy, T)).toEqual([0, ...threeSent, T]);
    });
  });
});
