// One persistent native messaging port to keyplace-host (a new process per message costs ~20x more).
// Requests carry ids so several can be in flight; the port reconnects lazily after a disconnect. A failed
// request rejects with a HostError carrying the host's error code (native-host/PROTOCOL.md).

import type { ErrorBody, ErrorDetails } from '../../generated/host-protocol';

export const HOST_NAME = 'com.keyplace.host';

export class HostError extends Error {
  constructor(
    /** One of the host's ErrorCode values (a newer host may send others), or host_unavailable from here. */
    readonly code: string,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
  }
}

interface Waiter {
  resolve: (value: unknown) => void;
  reject: (error: HostError) => void;
}

/** One answer frame (PROTOCOL.md): `result` on success, `error` on failure. */
interface HostReply {
  id: number | null;
  result?: unknown;
  error?: ErrorBody;
}

export class HostPort {
  private port: chrome.runtime.Port | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();

  request<T>(method: string, params: object = {}): Promise<T> {
    const port = this.connect();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      try {
        port.postMessage({ id, method, params });
      } catch (err) {
        this.waiting.delete(id);
        reject(new HostError('host_unavailable', describeDisconnect(String(err))));
      }
    });
  }

  private connect(): chrome.runtime.Port {
    if (this.port) return this.port;
    const port = chrome.runtime.connectNative(HOST_NAME);
    port.onMessage.addListener((reply: HostReply) => this.settle(reply));
    port.onDisconnect.addListener((closed) => {
      // Chromium says why in runtime.lastError; Firefox in the port's own `error`.
      const firefoxError = (closed as { error?: { message?: string } }).error;
      const why = describeDisconnect(chrome.runtime.lastError?.message ?? firefoxError?.message ?? 'the host exited');
      if (this.port === port) this.port = null;
      for (const waiter of this.waiting.values()) waiter.reject(new HostError('host_unavailable', why));
      this.waiting.clear();
    });
    this.port = port;
    return port;
  }

  private settle(reply: HostReply): void {
    if (typeof reply?.id !== 'number') return;
    const waiter = this.waiting.get(reply.id);
    if (!waiter) return;
    this.waiting.delete(reply.id);
    if (reply.error) {
      const { code, message, details } = reply.error;
      waiter.reject(new HostError(code, message, details ?? {}));
    } else {
      waiter.resolve(reply.result);
    }
  }
}

/** Chromium: "Specified native messaging host not found."; Firefox: "No such native application …". */
export function describeDisconnect(raw: string): string {
  if (/not found|no such native application/i.test(raw)) {
    return 'The Keyplace host is not installed for this browser. Run "keyplace-host install".';
  }
  if (/forbidden/i.test(raw)) return 'The Keyplace host refused this extension. Run "keyplace-host install" again.';
  return `The Keyplace host stopped: ${raw}`;
}
