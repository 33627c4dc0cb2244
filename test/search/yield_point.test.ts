/**
 * YieldPoint: a synchronous loop that awaits it lets the event loop run (timers, I/O, signal
 * handlers) once per interval of work, and stops when its signal aborts.
 */
import { describe, expect, it } from "vitest";

import { YieldPoint } from "../../ts/search/yield_point.js";

/** Spins for `ms` milliseconds: a step of synchronous work. */
function work(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* busy */ }
}

describe("YieldPoint", () => {
  it("lets a callback queued before a busy loop run once an interval of work has passed", async () => {
    const point = new YieldPoint({ intervalMs: 20 });
    let ranAt: number | undefined;
    const start = performance.now();
    setImmediate(() => { ranAt = performance.now(); });
    let steps = 0;
    while (ranAt === undefined && steps < 100) {
      await point.turn();
      work(5);
      steps += 1;
    }
    // Not before an interval of work (counted in time, not steps: a loaded machine stretches steps).
    expect(ranAt).toBeDefined();
    expect(ranAt! - start).toBeGreaterThanOrEqual(20);
  });

  it("does not give a turn before the interval has passed", async () => {
    const point = new YieldPoint({ intervalMs: 60_000 });
    let ran = false;
    setImmediate(() => { ran = true; });
    for (let step = 0; step < 20; ++step) {
      await point.turn();
      work(1);
    }
    expect(ran).toBe(false);
  });

  it("check() throws the signal's reason once it has aborted, the abort coming from a timer", async () => {
    const controller = new AbortController();
    const point = new YieldPoint({ signal: controller.signal, intervalMs: 10 });
    let steps = 0;
    // The timer is set from inside the loop, after some steps, so that a loaded machine's late
    // timers cannot make the loop look as if it stopped at once.
    const loop = async () => {
      for (;;) {
        await point.check();
        work(2);
        steps += 1;
        if (steps === 6) setTimeout(() => controller.abort(new Error("stop")), 0);
      }
    };
    await expect(loop()).rejects.toThrow("stop");
    expect(steps).toBeGreaterThanOrEqual(6);
  });

  it("refuses a negative interval by name", () => {
    expect(() => new YieldPoint({ intervalMs: -1 })).toThrow(/intervalMs/);
  });
});
