fn main() {
    std::process::exit(cccd_kiosk::cli::main());
}
