// Byte counts for people: "12.2 GiB" in messages, "16G" from the command line.
#include "base/byte_size.h"

#include "base/errors.h"

#include <cstdio>

namespace k3 {

std::string format_bytes(int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f GiB", static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
  return text;
}

int64_t parse_bytes(const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const std::string unit = text.substr(used);
  double scale = 0;
  if (unit.empty() || unit == "B") scale = 1;
  else if (unit == "K" || unit == "KiB") scale = 1024.0;
  else if (unit == "M" || unit == "MiB") scale = 1024.0 * 1024;
  else if (unit == "G" || unit == "GiB") scale = 1024.0 * 1024 * 1024;
  if (used == 0 || scale == 0 || !(value > 0))
    throw ConfigError("memory limit: expected a size such as 16G, 12GiB or 512M, got '" + text + "'");
  return static_cast<int64_t>(value * scale);
}

}  // namespace k3
