#pragma once
// A full-size Kandinsky 3 model folder of sparse files: the kandinsky-community/kandinsky-3 layout
// (fp16 variant, text encoder in 5 shards, wo in F32), configs as specs/kandinsky3.md gives them,
// safetensors headers generated from the modules those configs build (real names, shapes and
// dtypes) and data regions made by ftruncate (zero weights, no disk used). For tests and
// benchmarks of loading, memory and shapes at full size.
#include <string>

namespace k3::test {

// Writes the folder into `dir` (created); the tokenizer files are copied from `tokenizer_dir`
// (the tiny fixture's T5 tokenizer stands in for the real one: it has no weights).
void write_full_size_kandinsky3(const std::string& dir, const std::string& tokenizer_dir);

}  // namespace k3::test
