// The outbox on the phone's disk (IndexedDB): a capture counts as kept once it is written.

const DB_NAME = "xunjian";
const STORE = "outbox";

let opening = null;
function database() {
  opening = opening || new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () =>
      request.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opening;
}

async function transact(mode, makeRequest) {
  const db = await database();
  return new Promise((resolve, reject) => {
    // "strict": a capture counts as kept only once it is on disk, not in a write cache
    const transaction = db.transaction(STORE, mode, { durability: "strict" });
    const request = makeRequest(transaction.objectStore(STORE));
    transaction.oncomplete = () => resolve(request.result);
    transaction.onerror = transaction.onabort = () =>
      reject(transaction.error || request.error);
  });
}

export const allEntries = () => transact("readonly", (store) => store.getAll());
export const putEntry = (entry) => transact("readwrite", (store) => store.put(entry));
export const deleteEntry = (seq) => transact("readwrite", (store) => store.delete(seq));

// Change a capture still waiting (`change` makes the new entry from the old), in one
// transaction: one sent (deleted) meanwhile is not put back. Resolves to the changed entry, or
// null when it is no longer waiting.
export async function amendEntry(seq, change) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, "readwrite", { durability: "strict" });
    const store = transaction.objectStore(STORE);
    let amended = null;
    store.get(seq).onsuccess = (event) => {
      const entry = event.target.result;
      if (!entry || entry.status !== "waiting") return;
      amended = change(entry);
      store.put(amended);
    };
    transaction.oncomplete = () => resolve(amended);
    transaction.onerror = transaction.onabort = () => reject(transaction.error);
  });
}

export function uuid4() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
