#pragma once
// Write-then-rename, the one way files are replaced here: a reader (or a resumed run after a
// crash) sees the old file or the whole new one, never a part.
#include <string>

namespace k3 {

// A temporary name beside `path`, unique per host and process (workers of a render farm may
// share the folder): "<path>.<host>.<pid>.tmp".
std::string temporary_path_for(const std::string& path);

// Renames a finished temporary over `path` (same folder). Throws FileError naming both.
void replace_with(const std::string& temporary, const std::string& path);

// Puts `content` into `path` through temporary_path_for(path), passing fault_point("file.renaming")
// between the write and the rename. Throws FileError naming the file (folder not writable, disk
// full).
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace k3
