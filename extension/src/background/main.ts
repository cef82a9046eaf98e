// Background entry point: routes messages from the bridge (page requests, with the caller taken from
// the browser) and from Keyplace's own pages (consent window, popup).
import { warmUpMessages } from '../shared/i18n';
import type { BridgeMessage, CeremonyResult, UiMessage } from '../shared/messages';

import { callerOf, type RequestContext } from './caller';
import {
  endOffer,
  signInConditional,
  suggestionAccounts,
  suggestionDismissed,
  suggestionPicked,
  suggestionShown,
} from './ceremony/autofill';
import { mergeCapabilities } from './ceremony/capabilities';
import { register } from './ceremony/register';
import { browserAnswersFirst, offersPlatformAuthenticator } from './ceremony/routing';
import { abortConsent, consentDecide, consentDetails } from './ceremony/session';
import { signIn } from './ceremony/sign-in';
import { markCold, metrics } from './ceremony/timing';
import { CLIENT, ready, wasmInstantiateMs } from './core';
import {
  approveCopy,
  changeRing,
  importCopy,
  inspectCopy,
  listDevices,
  recovery,
  releaseCopy,
  requestCopy,
} from './devices';
import { Host } from './host/api';
import { inspectImport, runImport } from './import';
import { listMorePasskeys, listPasskeys } from './locations/paging';
import { deletePasskey, keepPasskey, renamePasskey } from './locations/storage';
import { forgetTab } from './notices';
import { recordFromPage } from './record';
import { applySignal } from './signals';
import { getSettings, listRules, preloadRules, removeRule, ruleForInput, setRule, setSettings } from './rules';

warmUpMessages();
const host = new Host();
preloadRules();
const EXTENSION_ORIGIN = new URL(chrome.runtime.getURL('')).origin;

/** For tests/bench only: timings and a raw round trip over the open port. */
void ready.then(() => (metrics.wasmInstantiateMs = wasmInstantiateMs));
Object.assign(globalThis, {
  keyplaceMetrics: metrics,
  keyplaceBench: {
    async hostPing(n: number): Promise<number[]> {
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        await host.ping();
        times.push(performance.now() - t);
      }
      return times;
    },
  },
});

async function fromContentScript(
  message: BridgeMessage,
  sender: chrome.runtime.MessageSender,
): Promise<CeremonyResult | undefined> {
  const arrived = performance.now();
  if (message.type === 'ceremony') markCold('firstCeremonyMessage', arrived);
  const caller = await callerOf(sender);
  if (!caller) return { outcome: 'error', error: { name: 'NotAllowedError', message: 'Unknown caller.' } };
  switch (message.type) {
    case 'ceremony': {
      markCold('callerKnown');
      await ready;
      // ARCHITECTURE.md rule 9: what the browser must answer itself (routing.ts says which and why).
      const { kind, mediation, permissionAllowed, activated } = message;
      const sameOriginWithAncestors = caller.sameOriginWithAncestors;
      if (
        browserAnswersFirst({ kind, mediation, permissionAllowed, sameOriginWithAncestors, activated, client: CLIENT })
      ) {
        return { outcome: 'browser' };
      }
      const handedToBrowser = (result: CeremonyResult): CeremonyResult => {
        // For the benchmark: the background's share of a request Keyplace hands to the browser.
        if (result.outcome === 'browser') metrics.handedToBrowser.push({ kind, ms: performance.now() - arrived });
        if (metrics.handedToBrowser.length > 1000) metrics.handedToBrowser.shift();
        return result;
      };
      const context: RequestContext = {
        permissionAllowed: message.permissionAllowed === true,
        // A document the person cannot see or is not using starts nothing (ARCHITECTURE.md rule 8); the bridge
        // reads visibility and focus in its own world, the tab's state is the browser's.
        attentive: message.visible && message.focused !== false && caller.tabActive,
      };
      if (message.kind === 'create')
        return handedToBrowser(await register(host, caller, message.id, message.publicKey, context));
      return handedToBrowser(
        await (message.mediation === 'conditional'
          ? signInConditional(host, caller, message.id, message.publicKey, context)
          : signIn(host, caller, message.id, message.publicKey, context)),
      );
    }
    case 'record': {
      // Only for a request this very frame handed to the browser, and only once (record.ts).
      await ready;
      try {
        await recordFromPage(host, caller, message.id, message.credential);
      } catch (err) {
        console.warn('Keyplace: could not record where a passkey went', err);
      }
      return undefined;
    }
    case 'abort':
      abortConsent(caller.key(message.id));
      endOffer(caller.key(message.id));
      return undefined;
    case 'uvpaa': {
      // Host unreachable: the browser's own answer, as without Keyplace.
      const hello = await host.hello().catch(() => null);
      return hello && offersPlatformAuthenticator(hello) ? { outcome: 'available' } : { outcome: 'browser' };
    }
    case 'caps': {
      const hello = await host.hello().catch(() => null);
      return { outcome: 'caps', capabilities: mergeCapabilities(message.browser, hello !== null) };
    }
    case 'signal':
      await ready;
      return applySignal(host, caller, message.method, message.options);
  }
}

async function fromExtensionPage(message: UiMessage, sender: chrome.runtime.MessageSender): Promise<unknown> {
  switch (message.type) {
    case 'suggest:list':
      return suggestionAccounts(message.nonce, sender);
    case 'suggest:pick':
      return suggestionPicked(message.nonce, message.credentialId, sender);
    case 'suggest:dismiss':
      return suggestionDismissed(message.nonce, sender);
    case 'suggest:shown':
      return suggestionShown(message.nonce, message.at, sender);
    case 'consent:details':
      return consentDetails(message.requestId);
    case 'consent:decide':
      return consentDecide(message.requestId, message.decision);
    case 'popup:list': {
      const arrivedAt = performance.timeOrigin + performance.now();
      const list = await listPasskeys(host, { tabId: message.tabId, site: message.site, query: message.query });
      metrics.popupList.push({ arrivedAt, answeredAt: performance.timeOrigin + performance.now() });
      if (metrics.popupList.length > 100) metrics.popupList.shift();
      return list;
    }
    case 'popup:more':
      return listMorePasskeys(host, { query: message.query, after: message.after });
    case 'popup:rename':
      return renamePasskey(host, message.credentialId, message.keyplace, message.userName);
    case 'popup:delete':
      return deletePasskey(host, message.credentialId, message.keyplace);
    case 'popup:keep':
      return keepPasskey(message.credentialId);
    case 'devices:list':
      return listDevices(host);
    case 'devices:copy-request':
      return requestCopy(host, message.credentialIds, message.to, message.pin);
    case 'devices:copy-inspect':
      return inspectCopy(host, message.request);
    case 'devices:copy-approve':
      return approveCopy(host, message.request, message.pin);
    case 'devices:copy-release':
      return releaseCopy(host, message.approval);
    case 'devices:copy-import':
      return importCopy(host, message.request, message.approval, message.pin);
    case 'devices:ring':
      return changeRing(host, message.params);
    case 'devices:recovery':
      return recovery(host, message.params);
    case 'import:inspect':
      return inspectImport(host, message.file);
    case 'import:run':
      return runImport(host, message.file, message.credentialIds, message.pin);
    case 'rules:get':
      await ready; // site names go through the core's Public Suffix List
      return ruleForInput(message.site);
    case 'rules:set':
      await ready;
      return setRule(message.site, message.choice);
    case 'rules:remove':
      await ready;
      return removeRule(message.site);
    case 'rules:list':
      return listRules();
    case 'settings:get':
      return getSettings(host);
    case 'settings:set':
      return setSettings(host, message.settings ?? {});
  }
}

// First run: a page that explains the three places a passkey can live.
chrome.runtime.onInstalled.addListener(({ reason }) => {
  if (reason === 'install') void chrome.tabs.create({ url: chrome.runtime.getURL('welcome.html') });
});

// A closed tab's "!" notice goes with it.
chrome.tabs.onRemoved.addListener((tabId) => void forgetTab(tabId));

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (sender.id !== chrome.runtime.id) return false;
  // Routed by who the browser says sent it: a content script can never reach the consent or popup API.
  const fromOwnPage = sender.origin === EXTENSION_ORIGIN || (sender.url ?? '').startsWith(`${EXTENSION_ORIGIN}/`);
  const work = fromOwnPage
    ? fromExtensionPage(message as UiMessage, sender)
    : fromContentScript(message as BridgeMessage, sender);
  work.then(sendResponse, (err) => {
    console.error('Keyplace:', err);
    sendResponse({ outcome: 'error', error: { name: 'UnknownError', message: String(err) } });
  });
  return true; // answered asynchronously
});
