// Moved to tests/drivers/firefox-session.mjs; kept until every old test importing it is gone.
export * from '../drivers/firefox-session.mjs';
