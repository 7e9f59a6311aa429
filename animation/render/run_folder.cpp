#include "animation/render/run_folder.h"

#include "base/fault_point.h"
#include "base/bounded_json.h"
#include "base/errors.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace k3::anim {

namespace fs = std::filesystem;

namespace {
// A hostile or damaged state file must not make us allocate without limit: a buffer is at most
// kMaxMatSide pixels on a side (the render's own sizes are far below) and must fit in the file.
constexpr int kMaxMatSide = 65536;
}  // namespace

std::string encode_mat(const cv::Mat& image) {
  cv::Mat m = image.isContinuous() ? image : image.clone();
  std::ostringstream out;
  out << "K3MAT1 " << m.rows << " " << m.cols << " " << m.type() << "\n";
  out.write(reinterpret_cast<const char*>(m.data), static_cast<std::streamsize>(m.total() * m.elemSize()));
  return out.str();
}

cv::Mat decode_mat(const std::string& bytes, std::size_t& pos, const std::string& where) {
  std::size_t end_of_line = bytes.find('\n', pos);
  if (end_of_line == std::string::npos || end_of_line - pos > 64)
    throw FileError(where + ": expected a K3MAT1 buffer header, got none");
  std::istringstream header(bytes.substr(pos, end_of_line - pos));
  std::string magic;
  int rows = 0, cols = 0, type = -1;
  header >> magic >> rows >> cols >> type;
  if (magic != "K3MAT1" || !header || rows <= 0 || cols <= 0 || type < 0)
    throw FileError(where + ": expected a K3MAT1 run-state buffer, got something else");
  if (rows > kMaxMatSide || cols > kMaxMatSide || CV_MAT_DEPTH(type) == CV_16F || type >= CV_DEPTH_MAX * CV_CN_MAX)
    throw FileError(where + ": expected a buffer of at most " + std::to_string(kMaxMatSide) + " pixels a side of a known type, got " +
                    std::to_string(rows) + "x" + std::to_string(cols) + " of type " + std::to_string(type));
  pos = end_of_line + 1;
  const std::size_t need = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols) * CV_ELEM_SIZE(type);
  if (bytes.size() - pos < need)
    throw FileError(where + ": truncated run-state buffer (expected " + std::to_string(need) + " bytes, got " +
                    std::to_string(bytes.size() - pos) + ")");
  cv::Mat m(rows, cols, type);
  std::memcpy(m.data, bytes.data() + pos, need);
  pos += need;
  return m;
}

void write_mat_atomically(const std::string& path, const cv::Mat& image) { write_file_atomically(path, encode_mat(image)); }

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError("cannot open " + path);
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw FileError("cannot read " + path);
  return content.str();
}

cv::Mat read_mat(const std::string& path) {
  std::string bytes = read_whole_file(path);
  std::size_t pos = 0;
  return decode_mat(bytes, pos, path);
}

RunFolder RunFolder::create(const std::string& dir) {
  std::error_code ec;
  fs::path path(dir);
  if (fs::exists(path / "settings.json", ec))
    throw FileError("run folder " + dir + " already holds a run (use --resume " + dir + " to continue it)");
  // Remember the first folder level we create, to remove exactly that on failure.
  fs::path first_created;
  for (fs::path p = fs::absolute(path, ec); !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    first_created = p;
    if (p == p.parent_path()) break;
  }
  try {
    fs::create_directories(path / "frames", ec);
    if (ec) throw FileError("cannot create run folder " + dir + ": " + ec.message());
    fs::create_directories(path / "state", ec);
    if (ec) throw FileError("cannot create run folder " + dir + "/state: " + ec.message());
    std::string probe = (path / "state" / ".write-test").string();
    {
      std::ofstream out(probe);
      if (!out) throw FileError("run folder " + dir + " is not writable");
    }
    fs::remove(probe, ec);
  } catch (...) {
    if (!first_created.empty()) fs::remove_all(first_created, ec);
    throw;
  }
  return RunFolder(dir, first_created.string());
}

void RunFolder::remove_created() const {
  std::error_code ec;
  if (!created_.empty()) {
    fs::remove_all(created_, ec);
    return;
  }
  fs::remove_all(frames_dir(), ec);
  fs::remove_all(state_dir(), ec);
  fs::remove(settings_path(), ec);
}

RunFolder RunFolder::open(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(fs::path(dir) / "settings.json", ec))
    throw FileError("expected a run folder with settings.json, got " + dir);
  return RunFolder(dir);
}

std::string RunFolder::frame_path(int index) const {
  char name[32];
  std::snprintf(name, sizeof name, "%06d.png", index);
  return frames_dir() + "/" + name;
}

void RunFolder::write_settings(const nlohmann::json& settings) const {
  write_file_atomically(settings_path(), settings.dump(2) + "\n");
}

nlohmann::json RunFolder::read_settings() const {
  return read_bounded_json_file(settings_path());
}

void RunFolder::write_frame(int index, const cv::Mat& rgb8) const {
  cv::Mat bgr;
  cv::cvtColor(rgb8, bgr, cv::COLOR_RGB2BGR);
  std::vector<unsigned char> png;
  if (!cv::imencode(".png", bgr, png)) throw FileError("cannot encode frame " + std::to_string(index) + " as PNG");
  fault_point("frame.before");
  write_file_atomically(frame_path(index), std::string(png.begin(), png.end()));
  fault_point("frame.after");
}

cv::Mat RunFolder::read_frame(int index) const {
  cv::Mat bgr = cv::imread(frame_path(index), cv::IMREAD_COLOR);
  if (bgr.empty()) throw FileError("cannot read frame " + frame_path(index));
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

std::string run_folder_name(const std::string& preset_name) {
  std::string safe;
  for (char c : preset_name) safe += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  return safe.empty() ? "render" : safe;
}

std::string default_run_dir(const std::string& preset_name) {
  std::string safe = run_folder_name(preset_name);
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  return "runs/" + safe + "-" + stamp;
}

video::FrameRate run_folder_fps(const std::string& run_dir, video::FrameRate fallback) {
  const std::string settings = run_dir + "/settings.json";
  std::error_code ec;
  if (!std::filesystem::exists(settings, ec)) return fallback;
  const nlohmann::json json = read_bounded_json_file(settings);
  if (!json.is_object() || !json.contains("fps")) return fallback;
  const auto& fps = json["fps"];
  const std::string what = settings + " key \"fps\"";
  if (fps.is_number()) return video::frame_rate_from_double(fps.get<double>(), what);
  if (fps.is_string()) return video::parse_frame_rate(fps.get<std::string>(), what);
  throw ConfigError(what + ": expected a number or a string, got " + fps.dump());
}

}  // namespace k3::anim
