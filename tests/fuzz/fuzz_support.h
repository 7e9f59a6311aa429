#pragma once
// Shared by the fuzz targets: a private scratch folder for targets that must hand the code
// under test a real file (the readers mmap or stat their input), removed at exit.
#include <cstddef>
#include <cstdint>
#include <string>

namespace k3::fuzz {

// The scratch folder of this process (created on first use).
const std::string& scratch_dir();
// Writes `size` bytes to scratch_dir()/name (creating sub-folders) and returns the path.
std::string write_scratch(const std::string& name, const std::uint8_t* data, std::size_t size);
std::string write_scratch(const std::string& name, const std::string& text);

}  // namespace k3::fuzz
