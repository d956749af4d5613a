import { MemoryStore, type SessionRecord } from 'coatcheck';
import type { SessionPatch } from 'coatcheck/stores';

/** A real MemoryStore that counts the calls made to it, to check how often the middleware writes. */
export class CountingStore extends MemoryStore {
  readonly calls = { read: 0, write: 0, patch: 0, refresh: 0, remove: 0 };

  get writes(): number {
    return this.calls.write + this.calls.patch + this.calls.refresh + this.calls.remove;
  }

  override read(id: string): Promise<SessionRecord | undefined> {
    this.calls.read++;
    return super.read(id);
  }
  override write(id: string, record: SessionRecord): Promise<void> {
    this.calls.write++;
    return super.write(id, record);
  }
  override patch(id: string, patch: SessionPatch): Promise<boolean> {
    this.calls.patch++;
    return super.patch(id, patch);
  }
  override refresh(id: string, expires: number, touched: number): Promise<boolean> {
    this.calls.refresh++;
    return super.refresh(id, expires, touched);
  }
  override remove(id: string): Promise<void> {
    this.calls.remove++;
    return super.remove(id);
  }
}
