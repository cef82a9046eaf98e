// One persistent native messaging port to keyplace-host (a new process per message costs ~20x more).
// Requests carry ids so several can be in flight; the port reconnects lazily after a disconnect. A failed
// request rejects with a HostError carrying the host's error code (native-host/PROTOCOL.md).

import type { ErrorBody, ErrorDetails } from '../../generated/host-protocol';
import { t } from '../../shared/i18n';

export const HOST_NAME = 'com.keyplace.host';

/** Codes this port gives a request itself, beside the host's own ErrorCode values. */
export const HOST_UNAVAILABLE = 'host_unavailable';
export const HOST_TIMEOUT = 'host_timeout';

/**
 * The most any host request may take: the slowest real one is a key made by a slow TPM chip (seconds) or a vault
 * PIN checked without a TPM (about half a second). A host that hangs must not hang a ceremony until the page's own
 * timeout, nor leave the person looking at a window that never answers.
 */
export const HOST_DEADLINE_MS = 30_000;

export class HostError extends Error {
  constructor(
    /** One of the host's ErrorCode values (a newer host may send others), or HOST_UNAVAILABLE / HOST_TIMEOUT. */
    readonly code: string,
    /** What a page may see (in English, whatever the person's language). */
    message: string,
    readonly details: ErrorDetails = {},
    /** What the person sees, in their language: the port's own problems are translated; the host's are its words. */
    readonly shown: string = message,
  ) {
    super(message);
  }
}

/** A failure in the person's words (a HostError's translated text, else the error's message). */
export function shownProblem(err: unknown): string {
  if (err instanceof HostError) return err.shown;
  return err instanceof Error ? err.message : String(err);
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

  request<T>(method: string, params: object = {}, deadlineMs = HOST_DEADLINE_MS): Promise<T> {
    const port = this.connect();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.waiting.delete(id)) return;
        const seconds = Math.round(deadlineMs / 1000);
        const message = `The Keyplace host did not answer within ${seconds} seconds.`;
        reject(new HostError(HOST_TIMEOUT, message, {}, t('hostTimeout', seconds)));
      }, deadlineMs);
      const settled = () => clearTimeout(timer);
      this.waiting.set(id, {
        resolve: (value) => {
          settled();
          resolve(value as T);
        },
        reject: (error) => {
          settled();
          reject(error);
        },
      });
      try {
        port.postMessage({ id, method, params });
      } catch (err) {
        this.waiting.delete(id);
        settled();
        reject(disconnected(String(err)));
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
      const raw = chrome.runtime.lastError?.message ?? firefoxError?.message ?? 'the host exited';
      if (this.port === port) this.port = null;
      for (const waiter of this.waiting.values()) waiter.reject(disconnected(raw));
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
function disconnectKind(raw: string): 'missing' | 'forbidden' | 'stopped' {
  if (/not found|no such native application/i.test(raw)) return 'missing';
  return /forbidden/i.test(raw) ? 'forbidden' : 'stopped';
}

/** Why the port closed, as a page may see it (English). */
export function describeDisconnect(raw: string): string {
  const kind = disconnectKind(raw);
  if (kind === 'missing') return 'The Keyplace host is not installed for this browser. Run "keyplace-host install".';
  if (kind === 'forbidden') return 'The Keyplace host refused this extension. Run "keyplace-host install" again.';
  return `The Keyplace host stopped: ${raw}`;
}

/** Why the port closed, in the person's words. */
export function describeDisconnectShown(raw: string): string {
  const kind = disconnectKind(raw);
  if (kind === 'missing') return t('hostMissing');
  return kind === 'forbidden' ? t('hostForbidden') : t('hostStopped', raw);
}

function disconnected(raw: string): HostError {
  return new HostError(HOST_UNAVAILABLE, describeDisconnect(raw), {}, describeDisconnectShown(raw));
}

