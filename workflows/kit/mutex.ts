/**
 * Commands to one procedure take turns: an Update that arrives while another is being applied
 * waits in line (first come, first served) instead of being refused as busy. The procedure
 * itself takes a turn the same way when it must see every command admitted before a moment
 * (e.g. the bid opening after the deadline). A chain of promises keeps the order deterministic
 * on replay; nothing here touches time or I/O.
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  /** Runs `body` once every earlier caller has finished, whether it succeeded or threw. */
  async runExclusive<T>(body: () => Promise<T> | T): Promise<T> {
    const before = this.tail;
    let release: () => void = () => {};
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      await before;
      return await body();
    } finally {
      release();
    }
  }
}
