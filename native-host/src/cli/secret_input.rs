//! PINs and recovery codes typed at the terminal without echo, or read from standard input (`--pin-stdin`), one
//! line each, kept in memory that is wiped when dropped. One place for every command that asks for one.

use std::io::BufRead;

use zeroize::Zeroizing;

/// The next line of standard input (without its line end), or what the person types after `prompt`, unechoed.
pub fn read_secret(from_stdin: bool, prompt: &str) -> Result<Zeroizing<String>, String> {
    if from_stdin {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        Ok(Zeroizing::new(
            line.trim_end_matches(['\r', '\n']).to_owned(),
        ))
    } else {
        rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .map_err(|e| e.to_string())
    }
}
