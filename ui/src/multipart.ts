/**
 * Reads the daemon's multipart/x-mixed-replace stream (stream.mjpeg?results=1) from fetch: each frame arrives as an
 * application/json part (its result) then an image/jpeg part, both tagged X-Frame-Seq, so the overlay is drawn on
 * the frame it belongs to. A plain <img> cannot say which frame it shows; this can.
 */
export interface Part {
  headers: Record<string, string>;
  body: Uint8Array;
}

const CRLFCRLF = [13, 10, 13, 10];

function indexOf(hay: Uint8Array, needle: number[], from: number): number {
  outer: for (let i = from; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

export class MultipartParser {
  private buf = new Uint8Array(0);
  private readonly boundary: number[];

  constructor(boundary: string) {
    this.boundary = [...new TextEncoder().encode(`--${boundary}`)];
  }

  /** Feeds bytes; returns every part completed by them. */
  push(chunk: Uint8Array): Part[] {
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    this.buf = joined;
    const parts: Part[] = [];
    for (;;) {
      const start = indexOf(this.buf, this.boundary, 0);
      if (start < 0) break;
      const headStart = start + this.boundary.length + 2;
      const headEnd = indexOf(this.buf, CRLFCRLF, headStart);
      if (headEnd < 0) break;
      const headers: Record<string, string> = {};
      for (const line of new TextDecoder().decode(this.buf.subarray(headStart, headEnd)).split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length']);
      if (!Number.isFinite(length)) {
        this.buf = this.buf.subarray(headEnd + 4);
        continue;
      }
      const bodyStart = headEnd + 4;
      if (this.buf.length < bodyStart + length) break;
      parts.push({ headers, body: this.buf.slice(bodyStart, bodyStart + length) });
      this.buf = this.buf.subarray(bodyStart + length);
    }
    return parts;
  }
}
