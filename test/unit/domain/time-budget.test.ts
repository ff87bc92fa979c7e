import { DependencyTimeoutError, isTimeout, TimeBudget, TimeBudgetExhaustedError } from '../../../src/domain/time-budget.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('TimeBudget', () => {
  test('its signal fires at the deadline, with the reason; remaining time counts down to 0', async () => {
    const budget = TimeBudget.ofMs(40);
    expect(budget.remainingMs()).toBeGreaterThan(20);
    expect(budget.signal.aborted).toBe(false);
    await sleep(60);
    expect(budget.signal.aborted).toBe(true);
    expect(budget.signal.reason).toBeInstanceOf(TimeBudgetExhaustedError);
    expect(budget.remainingMs()).toBe(0);
  });

  test('a narrower budget ends at its own deadline or with its parent, and never outlives it', async () => {
    const parent = TimeBudget.ofMs(10_000);
    const capped = parent.within(30);
    expect(capped.deadline).toBeLessThan(parent.deadline);
    expect(parent.within(60_000).deadline).toBe(parent.deadline);
    const earlier = parent.endingEarlierBy(2_500);
    expect(parent.deadline - earlier.deadline).toBe(2_500);
    const child = parent.child();
    await sleep(50);
    expect(capped.ended).toBe(true);
    expect(parent.ended).toBe(false);
    child.end();
    expect(parent.ended).toBe(false);
    parent.end();
    expect(earlier.ended).toBe(true);
    expect(parent.within(100).ended).toBe(true);
  });

  test('an unbounded budget ends only when told to; released budgets no longer follow their parent', () => {
    const open = TimeBudget.unbounded();
    expect(open.remainingMs()).toBe(Infinity);
    const released = open.child();
    released.release();
    open.end();
    expect(open.ended).toBe(true);
    expect(released.ended).toBe(false);
  });

  test('isTimeout recognises a timeout anywhere in a cause chain', () => {
    const timeout = new DependencyTimeoutError('SES SendEmail', 3000);
    expect(isTimeout(new Error('send-mail failed', { cause: timeout }))).toBe(true);
    expect(isTimeout(new TimeBudgetExhaustedError(0))).toBe(true);
    expect(isTimeout(new Error('MessageRejected'))).toBe(false);
  });
});

test('a budget whose deadline has passed is ended from the start', () => {
  const spent = TimeBudget.ofMs(0);
  expect(spent.ended).toBe(true);
  expect(TimeBudget.ofMs(10_000).endingEarlierBy(20_000).ended).toBe(true);
});
