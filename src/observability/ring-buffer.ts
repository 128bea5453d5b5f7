/** Fixed-size FIFO: keeps the newest `capacity` items so memory stays bounded under any load. */
export class RingBuffer<T> {
  #items: (T | undefined)[];
  #next = 0;
  #size = 0;

  constructor(readonly capacity: number) {
    this.#items = new Array(capacity);
  }

  push(item: T): void {
    this.#items[this.#next] = item;
    this.#next = (this.#next + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size++;
  }

  /** Newest first. */
  newest(): T[] {
    const out: T[] = [];
    for (let i = 1; i <= this.#size; i++) {
      out.push(this.#items[(this.#next - i + this.capacity) % this.capacity] as T);
    }
    return out;
  }

  get size(): number {
    return this.#size;
  }
}
