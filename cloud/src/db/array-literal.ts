/**
 * PostgreSQL array literals (PostgreSQL docs, 8.15.6 "Array Input and Output Syntax") built while a
 * batch is walked, for array parameters cast in SQL (`$1::bigint[]`). Both drivers pass a string
 * parameter through as it is, where given a JavaScript array they serialize it element by element with
 * a quoting regex each (node-postgres on the ingest's thread, a tenth of its work per report).
 */
export class ArrayLiteral {
  #text = '';
  #count = 0;

  /** An integer, or NULL. Anything else is refused: it would be a malformed literal or a silent NULL. */
  int(value: number | null): void {
    if (value === null) return this.#push('NULL');
    if (!Number.isSafeInteger(value)) throw new TypeError(`not an integer: ${value}`);
    this.#push(String(value));
  }

  bool(value: boolean | null): void {
    this.#push(value === null ? 'NULL' : value ? 't' : 'f');
  }

  /** Text, always double-quoted (an unquoted NULL, empty string or comma would read otherwise). */
  text(value: string | null): void {
    if (value === null) return this.#push('NULL');
    const escaped = value.includes('"') || value.includes('\\') ? value.replace(/[\\"]/g, '\\$&') : value;
    this.#push(`"${escaped}"`);
  }

  get length(): number {
    return this.#count;
  }

  toString(): string {
    return `{${this.#text}}`;
  }

  #push(element: string): void {
    this.#text = this.#count++ === 0 ? element : `${this.#text},${element}`;
  }
}
