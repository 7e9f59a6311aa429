#pragma once
// JSON from files a stranger may hand us (presets, Deforum settings, settings.json, config.json,
// model_index.json, shard indexes, safetensors headers), parsed with named limits: nlohmann's
// parser is iterative, but copying, comparing and dump() recurse once per nesting level, so an
// input of a million '[' would overflow the stack later, far from the file that caused it.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>

namespace k3 {

// No file of ours comes near these: presets and configs are kilobytes, a T5 shard index ~100 kB.
constexpr std::size_t kMaxJsonFileBytes = 64u << 20;
constexpr int kMaxJsonDepth = 128;

// Parses `text`; throws FileError naming `source` for bad JSON, nesting deeper than
// kMaxJsonDepth or text longer than `max_bytes`.
nlohmann::json parse_bounded_json(const std::string& text, const std::string& source,
                                  std::size_t max_bytes = kMaxJsonFileBytes);
// Reads and parses a file within the same limits (FileError for a missing or unreadable file).
nlohmann::json read_bounded_json_file(const std::string& path, std::size_t max_bytes = kMaxJsonFileBytes);

}  // namespace k3
