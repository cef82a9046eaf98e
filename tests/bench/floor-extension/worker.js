// The floor nobody can beat (tests/bench/floors.mjs): an extension worker that only answers. A page wakes it
// with a message; it can open an empty window of the size Keyplace's consent window has, whose page reports
// when its script ran and when it painted. All times are epoch ms (performance.timeOrigin + now).
const epoch = () => performance.timeOrigin + performance.now();
let pendingWindow = null;

chrome.runtime.onMessageExternal.addListener((message, _sender, reply) => {
  const receivedAt = epoch();
  if (message === 'wake') {
    reply({ startedAt: performance.timeOrigin, receivedAt });
    return false;
  }
  if (message === 'window') {
    const run = { requestedAt: epoch(), reply };
    pendingWindow = run;
    const url = chrome.runtime.getURL('blank.html');
    chrome.windows.create({ url, type: 'popup', width: 460, height: 720, focused: true }).then((win) => {
      run.createdAt = epoch();
      run.windowId = win.id;
    });
    return true;
  }
  return false;
});

chrome.runtime.onMessage.addListener((message) => {
  const run = pendingWindow;
  if (!run) return;
  if (message.type === 'blank:script') run.scriptAt = epoch();
  if (message.type === 'blank:painted') {
    run.paintedAt = epoch();
    pendingWindow = null;
    const { requestedAt, createdAt, scriptAt, paintedAt } = run;
    run.reply({ requestedAt, createdAt: createdAt ?? null, scriptAt, paintedAt });
    if (run.windowId !== undefined) void chrome.windows.remove(run.windowId);
  }
});
