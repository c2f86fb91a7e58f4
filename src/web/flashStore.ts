/**
 * The board's flash and the firmware it was loaded with, kept in the browser's IndexedDB: a
 * reload boots the same firmware over the same flash (a boot counter goes on counting), as a
 * real board keeps its flash across power cycles. One record per key in one object store.
 */
import type { PageImage } from './protocol.js';

const DB = 'f4emu';
const STORE = 'board';

export interface StoredFirmware {
  name: string;
  bytes: Uint8Array;
  /** Images booted with it (the CLI's --load). */
  more?: PageImage[];
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB could not be opened'));
  });
}

async function transaction<T>(
  mode: IDBTransactionMode,
  body: (store: IDBObjectStore) => IDBRequest<T> | void,
): Promise<T | undefined> {
  const db = await open();
  try {
    return await new Promise<T | undefined>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = body(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
  } finally {
    db.close();
  }
}

export class FlashStore {
  /** False where the browser refuses storage (a private window, a file: page): nothing is kept. */
  available = typeof indexedDB !== 'undefined';

  async loadFlash(): Promise<Uint8Array | null> {
    if (!this.available) return null;
    const v = await transaction<unknown>('readonly', (s) => s.get('flash')).catch(() => null);
    return v instanceof Uint8Array ? v : null;
  }

  async saveFlash(bytes: Uint8Array): Promise<void> {
    if (!this.available) return;
    await transaction('readwrite', (s) => void s.put(bytes, 'flash'));
  }

  async loadFirmware(): Promise<StoredFirmware | null> {
    if (!this.available) return null;
    const v = await transaction<unknown>('readonly', (s) => s.get('firmware')).catch(() => null);
    const f = v as StoredFirmware | undefined;
    const image = (i: { name: unknown; bytes: unknown } | undefined) =>
      !!i && typeof i.name === 'string' && i.bytes instanceof Uint8Array;
    if (!image(f) || (f!.more !== undefined && !(Array.isArray(f!.more) && f!.more.every(image))))
      return null;
    return f!;
  }

  async saveFirmware(firmware: StoredFirmware): Promise<void> {
    if (!this.available) return;
    await transaction('readwrite', (s) => void s.put(firmware, 'firmware'));
  }

  /** Forgets the flash and the firmware: the next boot is the demo on erased flash. */
  async erase(): Promise<void> {
    if (!this.available) return;
    await transaction('readwrite', (s) => {
      s.delete('flash');
      s.delete('firmware');
    });
  }
}
