#include "animation/render/run_state.h"

#include "animation/render/run_folder.h"
#include "src/errors.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace k3::anim {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {
constexpr int kJournalVersion = 1;

std::string buffer_name(const std::string& what, int frame) { return what + "-" + std::to_string(frame) + ".k3mat"; }

json save_buffer(const RunFolder& folder, const std::optional<CadenceBuffer>& buffer, const std::string& what, int frame) {
  if (!buffer) return nullptr;
  std::string name = buffer_name(what, frame);
  write_mat_atomically(folder.state_dir() + "/" + name, buffer->image);
  return {{"file", name}, {"index", buffer->index}};
}

std::optional<CadenceBuffer> load_buffer(const RunFolder& folder, const json& entry) {
  if (entry.is_null()) return std::nullopt;
  CadenceBuffer buffer;
  buffer.image = read_mat(folder.state_dir() + "/" + entry.at("file").get<std::string>());
  buffer.index = entry.at("index").get<int>();
  return buffer;
}
}  // namespace

void save_run_state(const RunFolder& folder, const RunState& state) {
  int frame = state.next_frame - 1;
  json journal = {
      {"version", kJournalVersion},
      {"next_frame", state.next_frame},
      {"total_frames", state.total_frames},
      {"seed", {{"seed", state.seed.seed}, {"diffused", state.seed.diffused}, {"rng_state", state.seed.rng_state}}},
      {"last_seed", state.last_seed},
      {"turbo_prev", save_buffer(folder, state.turbo_prev, "turbo_prev", frame)},
      {"turbo_next", save_buffer(folder, state.turbo_next, "turbo_next", frame)},
      {"color_reference", nullptr},
  };
  if (!state.color_reference.empty()) {
    // The reference never changes once captured: write it once.
    std::string path = folder.state_dir() + "/color_reference.k3mat";
    if (!fs::exists(path)) write_mat_atomically(path, state.color_reference);
    journal["color_reference"] = "color_reference.k3mat";
  }
  write_file_atomically(folder.journal_path(), journal.dump(2) + "\n");
  // Buffers of earlier frames are now unreachable.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder.state_dir(), ec)) {
    std::string name = entry.path().filename().string();
    bool is_buffer = name.rfind("turbo_", 0) == 0;
    if (is_buffer && name != buffer_name("turbo_prev", frame) && name != buffer_name("turbo_next", frame))
      fs::remove(entry.path(), ec);
  }
}

std::optional<RunState> load_run_state(const RunFolder& folder) {
  std::ifstream in(folder.journal_path());
  if (!in) return std::nullopt;
  try {
    json journal = json::parse(in);
    if (journal.at("version").get<int>() != kJournalVersion)
      throw FileError(folder.journal_path() + ": expected journal version " + std::to_string(kJournalVersion) + ", got " +
                      journal.at("version").dump());
    RunState state;
    state.next_frame = journal.at("next_frame").get<int>();
    state.total_frames = journal.at("total_frames").get<int>();
    const json& seed = journal.at("seed");
    state.seed.seed = seed.at("seed").get<std::int64_t>();
    state.seed.diffused = seed.at("diffused").get<std::int64_t>();
    state.seed.rng_state = seed.at("rng_state").get<std::uint64_t>();
    state.last_seed = journal.at("last_seed").get<std::uint64_t>();
    state.turbo_prev = load_buffer(folder, journal.at("turbo_prev"));
    state.turbo_next = load_buffer(folder, journal.at("turbo_next"));
    if (!journal.at("color_reference").is_null())
      state.color_reference = read_mat(folder.state_dir() + "/" + journal.at("color_reference").get<std::string>());
    return state;
  } catch (const json::exception& e) {
    throw FileError(folder.journal_path() + ": expected a k3anim run journal, got: " + e.what());
  }
}

}  // namespace k3::anim
