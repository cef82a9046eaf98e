// Moved to tests/drivers/chromium-launch.mjs; kept until every old test importing it is gone.
export * from '../drivers/chromium-launch.mjs';
