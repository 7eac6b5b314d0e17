import fs from "node:fs";
import { crc32 } from "node:zlib";

/** Bytes before each record's payload: its length and its CRC-32, little-endian. */
const HEADER = 8;
const MAX_RECORD = 1 << 20;

/**
 * An append-only file of records with group commit: `append` only copies the record into memory;
 * `commit()` resolves once everything appended before it is written and fdatasync'd. While one
 * group is being synced the next one fills, so one sync serves every record that arrived meanwhile.
 * A torn tail (a crash during a write) is detected by length and CRC and cut off on open.
 */
export class Journal {
  private fd: number;
  private buf: Buffer;
  private spare: Buffer;
  private len = 0;
  private appended = 0;
  private durable = 0;
  private flushing: Promise<void> | undefined;
  private waiters: { seq: number; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private failure: unknown;
  /** Bytes written to the file by this process. */
  bytesWritten = 0;
  /** fdatasync calls made. */
  syncs = 0;

  private constructor(
    readonly file: string,
    fd: number,
    /** Records already in the file when it was opened. */
    readonly recovered: number,
  ) {
    this.fd = fd;
    this.buf = Buffer.allocUnsafe(1 << 16);
    this.spare = Buffer.allocUnsafe(1 << 16);
  }

  /** Opens (or creates) a journal for appending, cutting off a torn tail. */
  static open(file: string): Journal {
    let count = 0;
    let good = 0;
    if (fs.existsSync(file)) {
      for (const r of Journal.scan(file)) {
        count++;
        good = r.end;
      }
      if (fs.statSync(file).size !== good) fs.truncateSync(file, good);
    }
    const fd = fs.openSync(file, "a");
    fs.fsyncSync(fd);
    return new Journal(file, fd, count);
  }

  /** Every intact record of a journal file, in order (stops at the first torn or corrupt one). */
  static *read(file: string): Generator<Buffer> {
    for (const r of Journal.scan(file)) yield r.payload;
  }

  private static *scan(file: string): Generator<{ payload: Buffer; end: number }> {
    if (!fs.existsSync(file)) return;
    const data = fs.readFileSync(file);
    let at = 0;
    while (at + HEADER <= data.length) {
      const len = data.readUInt32LE(at);
      const sum = data.readUInt32LE(at + 4);
      const end = at + HEADER + len;
      if (len > MAX_RECORD || end > data.length) return;
      const payload = data.subarray(at + HEADER, end);
      if (crc32(payload) !== sum) return;
      yield { payload, end };
      at = end;
    }
  }

  /** Sequence number of the last record appended (this process's numbering). */
  get appendedSeq(): number {
    return this.appended;
  }

  /** Sequence number of the last record known durable (this process's numbering). */
  get durableSeq(): number {
    return this.durable;
  }

  /** Copies a record into the current group; returns its sequence number (1-based, this process). */
  append(payload: Uint8Array): number {
    if (payload.length > MAX_RECORD) throw new RangeError(`journal record of ${payload.length} bytes is too large`);
    const need = this.len + HEADER + payload.length;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    this.buf.writeUInt32LE(payload.length, this.len);
    this.buf.writeUInt32LE(crc32(payload), this.len + 4);
    this.buf.set(payload, this.len + HEADER);
    this.len = need;
    return ++this.appended;
  }

  /** Resolves when every record appended so far is durable. */
  commit(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const seq = this.appended;
    if (seq <= this.durable) return Promise.resolve();
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ seq, resolve, reject }));
    if (!this.flushing) this.flushing = this.flushLoop();
    return p;
  }

  /** Writes and syncs everything appended, blocking (for shutdown and benchmarks of the raw cost). */
  commitSync(): void {
    if (this.len === 0) return;
    fs.writeSync(this.fd, this.buf, 0, this.len);
    fs.fdatasyncSync(this.fd);
    this.bytesWritten += this.len;
    this.syncs++;
    this.len = 0;
    this.durable = this.appended;
    this.release();
  }

  async close(): Promise<void> {
    await this.commit();
    if (this.flushing) await this.flushing;
    fs.closeSync(this.fd);
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.len > 0) {
        const group = this.buf;
        const len = this.len;
        const seq = this.appended;
        this.buf = this.spare;
        this.spare = group;
        this.len = 0;
        await write(this.fd, group, len);
        await new Promise<void>((res, rej) => fs.fdatasync(this.fd, (e) => (e ? rej(e) : res())));
        this.bytesWritten += len;
        this.syncs++;
        this.durable = seq;
        this.release();
      }
    } catch (err) {
      // A journal that cannot write must stop the exchange: nothing more is acknowledged.
      this.failure = err;
      for (const w of this.waiters) w.reject(err);
      this.waiters = [];
    } finally {
      this.flushing = undefined;
    }
  }

  private release(): void {
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.seq <= this.durable) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }
}

async function write(fd: number, buf: Buffer, len: number): Promise<void> {
  let off = 0;
  while (off < len) {
    off += await new Promise<number>((res, rej) =>
      fs.write(fd, buf, off, len - off, null, (e, n) => (e ? rej(e) : res(n))),
    );
  }
}
