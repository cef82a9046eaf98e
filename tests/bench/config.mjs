// How many times the benchmark repeats each measurement (environment knobs for quick checks), shared by the
// run and the report that states them.
export const N = Number(process.env.BENCH_N ?? 20);
export const COLD_N = Number(process.env.BENCH_COLD_N ?? Math.min(N, 10));
export const PING_N = 200;
export const LOAD_N = Number(process.env.BENCH_LOAD_N ?? 30);
export const SHIM_N = Number(process.env.BENCH_SHIM_N ?? 30);
export const POPUP_N = Number(process.env.BENCH_POPUP_N ?? 5);
/** Fresh same-origin iframes per tab in which the shim is run, per measurement. */
export const SHIM_K = 20;
