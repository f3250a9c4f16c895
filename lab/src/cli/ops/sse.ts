/**
 * A server-sent event stream read from a fetch body, parsed as WHATWG HTML §9.2.6 "Interpreting an
 * event stream" says: UTF-8 with an optional leading BOM, lines ended by CRLF, LF or CR, `:` comments,
 * one space after the colon dropped, `data` lines joined with LF, an event dispatched on a blank line
 * (and only when it has data; its type `message` unless an `event` field named one). `id` and
 * `retry` are not kept: the admin stream sends neither, and a watcher rereads state after a reconnect.
 */

export interface SseEvent {
  event: string;
  data: string;
}

/** The events of `body` in order; ends when the body ends (the server closed the stream). */
export async function* sseEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder('utf-8', { ignoreBOM: false });
  const parser = new SseParser();
  for await (const chunk of body) yield* parser.push(decoder.decode(chunk, { stream: true }));
  // An event the stream ended in the middle of is discarded, not dispatched (§9.2.6).
}

/** The parser's state between chunks: text not yet ended by a line break, and the event being built. */
export class SseParser {
  #pending = '';
  #type = '';
  #data: string[] = [];

  /** Feeds decoded text; returns the events it completed. */
  push(text: string): SseEvent[] {
    this.#pending += text;
    const events: SseEvent[] = [];
    for (;;) {
      const brk = /\r\n|\r|\n/.exec(this.#pending);
      if (!brk) break;
      // A CR last in the text may be the first half of a CRLF that the next chunk completes.
      if (brk[0] === '\r' && brk.index === this.#pending.length - 1) break;
      const line = this.#pending.slice(0, brk.index);
      this.#pending = this.#pending.slice(brk.index + brk[0].length);
      const event = this.#line(line);
      if (event) events.push(event);
    }
    return events;
  }

  #line(line: string): SseEvent | null {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#type = value;
    else if (field === 'data') this.#data.push(value);
    return null;
  }

  #dispatch(): SseEvent | null {
    const data = this.#data;
    const type = this.#type;
    this.#data = [];
    this.#type = '';
    if (data.length === 0) return null;
    return { event: type || 'message', data: data.join('\n') };
  }
}
