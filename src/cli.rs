//! The command line (DESIGN.md "Fixed contracts"). (in progress)
/// Entry point; returns the process exit status.
pub fn main() -> i32 {
    0
}
