#pragma once
// Byte counts as people write and read them. No torch here (the CLI parses --memory-limit).
#include <cstdint>
#include <string>

namespace k3 {

// "12.2 GiB"
std::string format_bytes(std::int64_t bytes);
// "16G", "16GiB", "512M", "1.5G", "1000000" -> bytes (ConfigError naming the value otherwise).
std::int64_t parse_bytes(const std::string& text);

}  // namespace k3
