#include "base/atomic_file.h"

#include "base/errors.h"
#include "base/fault_point.h"

#include <cstdio>
#include <fstream>
#include <system_error>

#include <unistd.h>

namespace k3 {

std::string temporary_path_for(const std::string& path) {
  char host[256] = "host";
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  host[sizeof(host) - 1] = '\0';
  return path + "." + host + "." + std::to_string(::getpid()) + ".tmp";
}

void replace_with(const std::string& temporary, const std::string& path) {
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string why = std::error_code(errno, std::generic_category()).message();
    std::remove(temporary.c_str());
    throw FileError("cannot rename " + temporary + " to " + path + ": " + why);
  }
}

void write_file_atomically(const std::string& path, const std::string& content) {
  const std::string temporary = temporary_path_for(path);
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw FileError("cannot write " + temporary + " (is the folder writable?)");
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) {
      out.close();
      std::remove(temporary.c_str());
      throw FileError("cannot write " + temporary + " (disk full?)");
    }
  }
  fault_point("file.renaming");
  replace_with(temporary, path);
}

}  // namespace k3
