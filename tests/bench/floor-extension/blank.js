// Reports when its script ran (as Keyplace's consent window asks for its details) and its first painted frame.
chrome.runtime.sendMessage({ type: 'blank:script' });
requestAnimationFrame(() => setTimeout(() => chrome.runtime.sendMessage({ type: 'blank:painted' }), 0));
