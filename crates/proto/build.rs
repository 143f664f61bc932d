//! Generates the gRPC code from `proto/` with protox (no system protoc), and writes the
//! file descriptor set that server reflection serves.

use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let mut files = Vec::new();
    collect_protos(&root.join("wenming"), &mut files)?;
    // Sorted so that the generated code and descriptor bytes are deterministic.
    files.sort();
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    println!("cargo:rerun-if-changed={}", root.join("wenming").display());

    println!("cargo:rerun-if-changed={}", root.join("google").display());
    let mut compiler = protox::Compiler::new([&root])?;
    compiler
        .include_imports(true)
        .include_source_info(true)
        .open_files(&files)?;
    let fds = compiler.file_descriptor_set();
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    // Encoded by the compiler, which keeps extension options (google.api.http) that
    // prost's descriptor types would drop.
    std::fs::write(
        out.join("wenming_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;
    tonic_prost_build::configure()
        .emit_rerun_if_changed(false)
        // Bad requests are the caller's error, not INTERNAL (src/codec.rs).
        .codec_path("crate::codec::WenmingCodec")
        .compile_fds(fds)?;
    Ok(())
}

fn collect_protos(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, files)?;
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            files.push(path);
        }
    }
    Ok(())
}
