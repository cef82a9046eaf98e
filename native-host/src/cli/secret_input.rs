//! What the commands ask the person at the terminal: PINs and recovery codes without echo, or read from standard
//! input (`--pin-stdin`), one line each, kept in memory that is wiped when dropped; and a yes-or-no question.

use std::io::{BufRead, Write};

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

/// Asks `question` with "[y/N]"; true only for y, Y or yes.
pub fn ask_yes(question: &str) -> Result<bool, String> {
    print!("{question} [y/N] ");
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| e.to_string())?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
