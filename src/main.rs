//! The `warden` binary: everything lives in the library.

fn main() {
    std::process::exit(warden::main_entry());
}
