/**
 * Runs background tasks at most `limit` at a time, in arrival order, after the requests already
 * waiting. An embedded database has one connection: firing a hundred processing tasks at it at
 * once only makes every request, including the ones that must answer fast, wait behind them.
 */
export class Lane {
  #running = 0;
  #queue: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.limit) await new Promise<void>((resolve) => this.#queue.push(resolve));
    // Let waiting requests run first: a task that only awaits the embedded database resumes in
    // microtasks, and a backlog of them would otherwise hold off every incoming request.
    await new Promise((resolve) => setTimeout(resolve, 0));
    this.#running++;
    try {
      return await task();
    } finally {
      this.#running--;
      this.#queue.shift()?.();
    }
  }

  get pending(): number {
    return this.#queue.length;
  }
}
