// Follows FFmpeg doc/examples (demuxing_decoding.c) for opening inputs.
#include "animation/video/libav_handles.h"

#include "base/errors.h"

extern "C" {
#include <libavutil/error.h>
#include <libavutil/log.h>
}

#include <mutex>

namespace k3::video::av {

std::string error_text(int code) {
  char buffer[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, buffer, sizeof buffer);
  return buffer;
}

int check(int code, const std::string& what, const std::string& file) {
  if (code < 0) throw k3::Error(what + " (" + file + "): " + error_text(code));
  return code;
}

int check_io(int code, const std::string& what, const std::string& file) {
  if (code < 0) throw k3::FileError(what + " (" + file + "): " + error_text(code));
  return code;
}

Frame alloc_frame() {
  Frame frame(av_frame_alloc());
  if (!frame) throw std::bad_alloc();
  return frame;
}

Packet alloc_packet() {
  Packet packet(av_packet_alloc());
  if (!packet) throw std::bad_alloc();
  return packet;
}

Input open_input(const std::string& path) {
  AVFormatContext* raw = nullptr;
  int code = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (code < 0) throw k3::FileError("cannot open media file " + path + ": " + error_text(code));
  Input input(raw);
  code = avformat_find_stream_info(input.get(), nullptr);
  if (code < 0) throw k3::FileError("cannot read the streams of " + path + ": " + error_text(code));
  return input;
}

void quiet_logging_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (av_log_get_level() == AV_LOG_INFO) av_log_set_level(AV_LOG_ERROR);
  });
}

}  // namespace k3::video::av
