// The per-machine convolution choice file (see conv_choice_cache.h). Cache location follows
// the XDG Base Directory specification ($XDG_CACHE_HOME, default ~/.cache).
#include "src/nn/conv_choice_cache.h"

#include "base/atomic_file.h"
#include "base/errors.h"

#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace k3 {

namespace {

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  for (std::string field; std::getline(in, field, '\t');) fields.push_back(field);
  return fields;
}

std::string first_line_value(const std::string& file, const std::string& key) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key, 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    return value;
  }
  return "unknown";
}

// The BLAS library really mapped in (Debian's libblas.so.3 is an alternatives link: netlib or
// OpenBLAS, 30x apart in speed; ENVIRONMENT.md trap 3), by the file behind the mapping.
std::string mapped_blas() {
  std::ifstream in("/proc/self/maps");
  for (std::string line; std::getline(in, line);) {
    const auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    const std::string name = std::filesystem::path(path).filename().string();
    if (name.find("blas") != std::string::npos) return path;
  }
  return "no-blas";
}

}  // namespace

ConvChoiceCache::ConvChoiceCache(std::string path, std::string machine)
    : path_(std::move(path)), machine_(std::move(machine)) {}

std::string ConvChoiceCache::default_path() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && *xdg == '/') return std::string(xdg) + "/k3anim/conv-algorithms.tsv";
  const char* home = std::getenv("HOME");
  if (home && *home) return std::string(home) + "/.cache/k3anim/conv-algorithms.tsv";
  return "";
}

std::string ConvChoiceCache::describe_machine(const std::string& library) {
  cpu_set_t set;
  int cores = 0;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) cores = CPU_COUNT(&set);
  std::string machine = first_line_value("/proc/cpuinfo", "model name") + "; cores " + std::to_string(cores) +
                        "; " + library + "; " + mapped_blas();
  for (char& c : machine)
    if (c == '\t' || c == '\n') c = ' ';
  return machine;
}

void ConvChoiceCache::load() {
  loaded_ = true;
  if (path_.empty()) return;
  std::ifstream in(path_);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto fields = split_tabs(line);
    if (fields.size() != 5 || (fields[2] != "onednn" && fields[2] != "matmul")) continue;
    if (fields[0] != machine_) {
      others_.emplace(fields[0], line);
      continue;
    }
    ConvTiming timing;
    timing.algorithm = fields[2];
    timing.onednn_ms = std::strtod(fields[3].c_str(), nullptr);
    timing.matmul_ms = std::strtod(fields[4].c_str(), nullptr);
    mine_[fields[1]] = timing;
  }
}

const ConvTiming* ConvChoiceCache::find(const std::string& shape) {
  if (!loaded_) load();
  const auto it = mine_.find(shape);
  return it == mine_.end() ? nullptr : &it->second;
}

bool ConvChoiceCache::store(const std::string& shape, const ConvTiming& timing) {
  if (!loaded_) load();
  mine_[shape] = timing;
  if (path_.empty()) return true;
  std::error_code error;
  const std::filesystem::path target(path_);
  std::filesystem::create_directories(target.parent_path(), error);
  std::ostringstream out;
  out << "# k3anim: the faster convolution algorithm per shape, measured on each machine "
         "(machine, shape, algorithm, oneDNN ms, matmul ms); delete to measure again\n";
  for (const auto& entry : others_) out << entry.second << "\n";
  char numbers[64];
  for (const auto& [key, t] : mine_) {
    std::snprintf(numbers, sizeof(numbers), "%.4g\t%.4g", t.onednn_ms, t.matmul_ms);
    out << machine_ << "\t" << key << "\t" << t.algorithm << "\t" << numbers << "\n";
  }
  try {
    write_file_atomically(path_, out.str());
  } catch (const FileError&) {
    return false;  // a cache that cannot be saved is measured again next time
  }
  return true;
}

}  // namespace k3
