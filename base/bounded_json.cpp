// See bounded_json.h. The depth is checked by nlohmann's parser callback, so a deep input is
// refused while parsing, before any recursive function sees it.
#include "base/bounded_json.h"

#include "base/errors.h"

#include <fstream>

namespace k3 {

namespace {
struct TooDeep {};
}  // namespace

nlohmann::json parse_bounded_json(const std::string& text, const std::string& source, std::size_t max_bytes) {
  if (text.size() > max_bytes)
    throw FileError(source + ": expected JSON of at most " + std::to_string(max_bytes) + " bytes, got " +
                    std::to_string(text.size()));
  auto limit_depth = [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > kMaxJsonDepth) throw TooDeep{};
    return true;
  };
  try {
    return nlohmann::json::parse(text, limit_depth);
  } catch (const TooDeep&) {
    throw FileError(source + ": expected JSON nested at most " + std::to_string(kMaxJsonDepth) +
                    " levels deep (kMaxJsonDepth), got deeper");
  } catch (const nlohmann::json::exception& e) {
    throw FileError(source + ": expected valid JSON, got a parse error: " + e.what());
  }
}

nlohmann::json read_bounded_json_file(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError("cannot open " + path);
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) throw FileError("cannot read " + path);
  if (static_cast<std::size_t>(size) > max_bytes)
    throw FileError(path + ": expected JSON of at most " + std::to_string(max_bytes) + " bytes (kMaxJsonFileBytes), got " +
                    std::to_string(size));
  in.seekg(0);
  std::string text(static_cast<std::size_t>(size), '\0');
  if (!in.read(text.data(), size)) throw FileError("cannot read " + path);
  return parse_bounded_json(text, path, max_bytes);
}

}  // namespace k3
