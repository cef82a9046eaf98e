// Who is calling: always from what the browser says about the sending frame (MessageSender and
// webNavigation), never from the message body, so a page cannot act for another origin.
import type { CallerContext } from './core';

export interface Caller extends CallerContext {
  tabId: number;
  frameId: number;
  windowId: number | null;
  /** Whether the calling tab is the one shown in its window (the browser's word, not the page's). */
  tabActive: boolean;
  /** Unique per frame and request: a page can reuse an id, but not in another tab or frame. */
  key: (requestId: string) => string;
}

function originOf(url: string | undefined): string {
  if (!url) return 'null';
  try {
    return new URL(url).origin;
  } catch {
    return 'null';
  }
}

export async function callerOf(sender: chrome.runtime.MessageSender): Promise<Caller | null> {
  const tab = sender.tab;
  if (!tab || tab.id === undefined || sender.frameId === undefined) return null;
  const tabId = tab.id;
  const frameId = sender.frameId;
  const origin = sender.origin ?? originOf(sender.url);
  let sameOriginWithAncestors = true;
  let topOrigin = origin;
  if (frameId !== 0) {
    const frames = (await chrome.webNavigation.getAllFrames({ tabId })) ?? [];
    const byId = new Map(frames.map((f) => [f.frameId, f]));
    let current = byId.get(frameId);
    while (current && current.parentFrameId >= 0) {
      const parent = byId.get(current.parentFrameId);
      if (!parent) {
        sameOriginWithAncestors = false; // unknown ancestry counts as cross-origin
        break;
      }
      if (originOf(parent.url) !== origin) sameOriginWithAncestors = false;
      current = parent;
    }
    topOrigin = originOf(byId.get(0)?.url ?? tab.url);
  }
  return {
    origin,
    topOrigin,
    sameOriginWithAncestors,
    tabId,
    frameId,
    windowId: tab.windowId ?? null,
    tabActive: tab.active !== false,
    // tabIdOfKey() below reads this format back.
    key: (requestId) => `${tabId}:${frameId}:${requestId}`,
  };
}

/** The tab a request key (from Caller.key, "tabId:frameId:requestId") belongs to, or null. */
export function tabIdOfKey(key: string): number | null {
  const end = key.indexOf(':');
  if (end <= 0) return null;
  const tabId = Number(key.slice(0, end));
  return Number.isInteger(tabId) && tabId >= 0 ? tabId : null;
}

/** What the bridge and the browser say of the calling document for one ceremony. */
export interface RequestContext {
  /** The frame's permissions policy allows this WebAuthn call. */
  permissionAllowed: boolean;
  /** The document is visible and focused and its tab is in front (ARCHITECTURE.md rule 8). */
  attentive: boolean;
}
