//! keyplace-host: the Keyplace native messaging host and its command line.
//!
//! Started by a browser (argv names the calling extension) it serves the extension over stdin/stdout; started by
//! a person it runs the CLI (install, uninstall, list, doctor).

use std::ffi::OsString;
use std::process::ExitCode;
use std::sync::Arc;

use keyplace_host::caller::{self, Caller, Invocation};
use keyplace_host::protocol::{Request, Response};
use keyplace_host::service::{errors, Service};
use keyplace_host::transport::{self, Handler};
use keyplace_host::{cli, data_dir, log};

/// Exit code for a caller that may not use the host.
const EXIT_REFUSED: u8 = 3;

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    match caller::invocation(&args) {
        Invocation::Browser(caller) => run_host(caller),
        Invocation::NoCaller => refuse(
            "started without a caller. Browsers start this program for the Keyplace extension; \
             to manage Keyplace yourself, see `keyplace-host --help`.",
        ),
        Invocation::Cli => cli::run(),
    }
}

/// The TSS C libraries print their errors (a wrong PIN, for one) on stderr unless told not to; keep them for
/// `KEYPLACE_LOG=debug`. Set before any thread starts, as the environment is not thread-safe.
fn quiet_tss_logging() {
    if std::env::var_os("TSS2_LOG").is_none() && !log::debug_enabled() {
        std::env::set_var("TSS2_LOG", "all+none");
    }
}

fn refuse(reason: &str) -> ExitCode {
    eprintln!("keyplace-host: refused: {reason}");
    ExitCode::from(EXIT_REFUSED)
}

fn run_host(caller: Caller) -> ExitCode {
    let data_dir = match data_dir::data_dir() {
        Ok(dir) => dir,
        Err(error) => return refuse(&error.to_string()),
    };
    if let Err(reason) = caller::check(&caller, &data_dir) {
        return refuse(&reason);
    }
    log::debug!("serving {caller:?}");
    quiet_tss_logging();
    let mut opened = None;
    let handler: Handler = match Service::open(&data_dir.join(data_dir::DATABASE_FILE)) {
        Ok(service) => {
            let service = Arc::new(service);
            opened = Some(service.clone());
            Arc::new(move |request| service.handle(request))
        }
        Err(error) => {
            // Keep the port and say why on every request, rather than exiting with nothing the extension can show.
            log::warning!("cannot open the database: {error}");
            let failure = errors::database_unavailable(error);
            Arc::new(move |request: Request| Response::failure(Some(request.id), failure.clone()))
        }
    };
    one_malloc_arena();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // Requests are answered on blocking threads (as are stdin and stdout): a few suffice for one person, and
        // each thread's stack stays resident once touched. 64 requests in flight ran as fast with 4 as with 64.
        .max_blocking_threads(4)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            log::warning!("cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let served = runtime.block_on(transport::serve(
        tokio::io::stdin(),
        tokio::io::stdout(),
        handler,
    ));
    // Every request read has been answered by now; nothing left worth waiting for.
    runtime.shutdown_background();
    // Unload what the host put in the TPM (a chip without a resource manager would keep it).
    if let Some(service) = opened {
        service.shutdown();
    }
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            log::warning!("the browser port failed: {error}");
            ExitCode::FAILURE
        }
    }
}

/// glibc gives each new thread its own malloc arena (up to 8 per core), and each keeps what it once held: with
/// requests answered on tokio's blocking threads, a host that answered a few large `list`s held 28 MB. One arena
/// is plenty for a process that serves one person (the budget: 20 MB).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn one_malloc_arena() {
    // SAFETY: mallopt only sets an allocator parameter; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn one_malloc_arena() {}
