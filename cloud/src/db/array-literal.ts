/**
 * PostgreSQL array literals (PostgreSQL docs, 8.15.6 "Array Input and Output Syntax") built while a
 * batch is walked, for array parameters cast in SQL (`$1::bigint[]`). Both drivers pass a string
 * parameter through as it is, where given a JavaScript array they serialize it element by element with
 * a quoting regex each (node-postgres on the ingest's thread, a tenth of its work per report).
 */
/**
 * A value the array's column type cannot hold, refused before the statement is sent. It carries the
 * SQLSTATE PostgreSQL raises for the same fault (22003 numeric_value_out_of_range, Appendix A), so a
 * caller tells a batch's bad data from other failures the same way whichever side found it.
 */
export class ArrayValueError extends RangeError {
  readonly code = '22003';
}

export class ArrayLiteral {
  /**
   * Elements joined once at the end: appending to one string instead makes a rope of one object per
   * element, which stays alive (and is copied by every young-generation collection) while the statement
   * that carries the literal runs.
   */
  #elements: string[] = [];

  /** An integer, or NULL. Anything else is refused: it would be a malformed literal or a silent NULL. */
  int(value: number | null): void {
    if (value === null) return this.#push('NULL');
    if (!Number.isSafeInteger(value)) throw new ArrayValueError(`not an integer: ${value}`);
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
    return this.#elements.length;
  }

  toString(): string {
    return `{${this.#elements.join(',')}}`;
  }

  #push(element: string): void {
    this.#elements.push(element);
  }
}
