// The journal is ONE file (state/journal.k3state), written to a temporary name and renamed, so a
// run killed at any instant has either the whole state after frame j-1 or the whole state after
// frame j, never a mix; the buffers are stored as raw float bytes, never re-read from 8-bit PNGs.
#include "animation/render/run_state.h"

#include "base/fault_point.h"
#include "animation/render/run_folder.h"
#include "base/errors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace k3::anim {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {
// Version 4 added the cadence_flow buffer (optical-flow cadence), version 3 zoom_keyframes_done
// (zoom clips kept a journal of their own before); version 2 journals read as having made no zoom
// keyframe, older ones as having no flow.
constexpr int kJournalVersion = 4;
constexpr int kOldestJournalVersion = 2;
constexpr const char* kMagic = "K3JOURNAL";
// The JSON part holds a few integers: anything longer is not a journal of ours.
constexpr std::size_t kMaxHeaderBytes = 1 << 16;

// Buffers are appended after the JSON header in the order of this list.
json buffer_entry(const std::string& name, int index, std::vector<const cv::Mat*>& out, const cv::Mat& image) {
  out.push_back(&image);
  return {{"name", name}, {"index", index}};
}

std::string journal_bytes(const RunState& state) {
  std::vector<const cv::Mat*> images;
  json buffers = json::array();
  if (state.turbo_prev) buffers.push_back(buffer_entry("turbo_prev", state.turbo_prev->index, images, state.turbo_prev->image));
  if (state.turbo_next) buffers.push_back(buffer_entry("turbo_next", state.turbo_next->index, images, state.turbo_next->image));
  if (!state.color_reference.empty()) buffers.push_back(buffer_entry("color_reference", -1, images, state.color_reference));
  if (!state.cadence_flow.empty()) buffers.push_back(buffer_entry("cadence_flow", -1, images, state.cadence_flow));
  json header = {
      {"version", kJournalVersion},
      {"next_frame", state.next_frame},
      {"total_frames", state.total_frames},
      {"seed", {{"seed", state.seed.seed}, {"diffused", state.seed.diffused}, {"rng_state", state.seed.rng_state}}},
      {"last_seed", state.last_seed},
      {"zoom_keyframes_done", state.zoom_keyframes_done},
      {"buffers", buffers},
  };
  std::string text = header.dump();
  std::string bytes = std::string(kMagic) + " " + std::to_string(kJournalVersion) + " " + std::to_string(text.size()) + "\n" + text;
  for (const cv::Mat* image : images) bytes += encode_mat(*image);
  return bytes;
}

RunState parse_journal(const std::string& bytes, const std::string& where) {
  std::size_t newline = bytes.find('\n');
  std::string first = bytes.substr(0, std::min<std::size_t>(newline, 64));
  int version = 0;
  std::size_t header_size = 0;
  char magic[16] = {};
  if (newline == std::string::npos || std::sscanf(first.c_str(), "%15s %d %zu", magic, &version, &header_size) != 3 ||
      std::string(magic) != kMagic)
    throw FileError(where + ": expected a k3anim run journal (" + kMagic + "), got something else");
  if (version < kOldestJournalVersion || version > kJournalVersion)
    throw FileError(where + ": expected journal version " + std::to_string(kOldestJournalVersion) + " to " +
                    std::to_string(kJournalVersion) + ", got " + std::to_string(version));
  if (header_size > kMaxHeaderBytes || header_size > bytes.size() - newline - 1)
    throw FileError(where + ": expected a journal header of at most " + std::to_string(kMaxHeaderBytes) +
                    " bytes inside the file, got " + std::to_string(header_size));
  try {
    json header = json::parse(bytes.substr(newline + 1, header_size));
    RunState state;
    state.next_frame = header.at("next_frame").get<int>();
    state.total_frames = header.at("total_frames").get<int>();
    const json& seed = header.at("seed");
    state.seed.seed = seed.at("seed").get<std::int64_t>();
    state.seed.diffused = seed.at("diffused").get<std::int64_t>();
    state.seed.rng_state = seed.at("rng_state").get<std::uint64_t>();
    state.last_seed = header.at("last_seed").get<std::uint64_t>();
    state.zoom_keyframes_done = header.value("zoom_keyframes_done", 0);
    if (state.zoom_keyframes_done < 0)
      throw FileError(where + ": expected zoom_keyframes_done >= 0, got " + std::to_string(state.zoom_keyframes_done));
    std::size_t pos = newline + 1 + header_size;
    for (const json& entry : header.at("buffers")) {
      const std::string name = entry.at("name").get<std::string>();
      cv::Mat image = decode_mat(bytes, pos, where + " (" + name + ")");
      if (name == "color_reference") state.color_reference = image;
      else if (name == "turbo_prev") state.turbo_prev = CadenceBuffer{image, entry.at("index").get<int>()};
      else if (name == "turbo_next") state.turbo_next = CadenceBuffer{image, entry.at("index").get<int>()};
      else if (name == "cadence_flow" && image.type() == CV_32FC2) state.cadence_flow = image;
      else throw FileError(where + ": expected buffers turbo_prev, turbo_next, color_reference or cadence_flow (CV_32FC2), got \"" + name + "\"");
    }
    if (pos != bytes.size())
      throw FileError(where + ": expected " + std::to_string(pos) + " bytes, got " + std::to_string(bytes.size()));
    // (The frame buffer is checked by the mode that needs it: zoom clips have none.)
    if (state.next_frame < 0 || state.next_frame > state.total_frames)
      throw FileError(where + ": expected 0 <= next_frame <= total_frames, got next_frame " +
                      std::to_string(state.next_frame) + " of " + std::to_string(state.total_frames));
    return state;
  } catch (const json::exception& e) {
    throw FileError(where + ": expected a k3anim run journal, got: " + e.what());
  }
}
}  // namespace

void save_run_state(const RunFolder& folder, const RunState& state) {
  std::string bytes = journal_bytes(state);
  fault_point("journal.before");
  write_file_atomically(folder.journal_path(), bytes);
  fault_point("journal.after");
}

std::optional<RunState> load_run_state(const RunFolder& folder) {
  std::error_code ec;
  if (!fs::exists(folder.journal_path(), ec)) {
    if (fs::exists(folder.state_dir() + "/journal.json", ec))
      throw FileError(folder.state_dir() + "/journal.json: expected journal version " + std::to_string(kJournalVersion) +
                      " (journal.k3state), got version 1 of an older k3anim; start this run again");
    return std::nullopt;
  }
  return parse_journal(read_whole_file(folder.journal_path()), folder.journal_path());
}

int journal_frames_done(const std::string& run_dir) {
  std::ifstream in(run_dir + "/state/journal.k3state", std::ios::binary);
  std::string first;
  if (!in || !std::getline(in, first)) return 0;
  char magic[16] = {};
  int version = 0;
  std::size_t header_size = 0;
  if (std::sscanf(first.c_str(), "%15s %d %zu", magic, &version, &header_size) != 3 || std::string(magic) != kMagic ||
      header_size > kMaxHeaderBytes)
    return 0;
  std::string header(header_size, '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(header_size))) return 0;
  try {
    return json::parse(header).at("next_frame").get<int>();
  } catch (const json::exception&) {
    return 0;
  }
}

}  // namespace k3::anim
