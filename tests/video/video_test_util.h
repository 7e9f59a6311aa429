#pragma once
// Shared by the video tests: synthetic frames, ffprobe, PSNR, WAV files.
#include "tests/support/test_support.h"

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <string>

namespace k3::test {

// A smooth RGB frame (gradients and a slow wave) that moves with the index: easy to encode
// well, so quality checks measure the pipeline rather than the codec's limits.
inline cv::Mat smooth_frame(int width, int height, int index) {
  cv::Mat frame(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const double u = static_cast<double>(x) / width, v = static_cast<double>(y) / height;
      const double wave = std::sin(6.28318 * (u + v) + 0.2 * index);
      auto& p = frame.at<cv::Vec3b>(y, x);
      p[0] = cv::saturate_cast<uint8_t>(40 + 170 * u + 20 * wave);
      p[1] = cv::saturate_cast<uint8_t>(60 + 140 * v - 20 * wave);
      p[2] = cv::saturate_cast<uint8_t>(128 + 80 * std::sin(3.14159 * (u - v) + 0.1 * index));
    }
  return frame;
}

inline double psnr(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  diff.convertTo(diff, CV_64F);
  const cv::Scalar sq = cv::sum(diff.mul(diff));
  const double mse = (sq[0] + sq[1] + sq[2]) / (static_cast<double>(a.total()) * a.channels());
  return mse == 0 ? 99.0 : 10.0 * std::log10(255.0 * 255.0 / mse);
}

// ffprobe's JSON for a file: streams (with counted frames) and format.
inline nlohmann::json ffprobe(const std::string& path) {
  const auto result = run("ffprobe -v error -count_frames -show_streams -show_format -of json " + shell_quote(path));
  if (result.exit_code != 0) return nlohmann::json();
  return nlohmann::json::parse(result.output, nullptr, false);
}

inline nlohmann::json stream_of_type(const nlohmann::json& probe, const std::string& type) {
  if (probe.is_object() && probe.contains("streams"))
    for (const auto& s : probe["streams"])
      if (s.value("codec_type", "") == type) return s;
  return nlohmann::json();
}

inline double as_number(const nlohmann::json& j, const std::string& key) {
  if (!j.is_object() || !j.contains(key)) return -1;
  return j[key].is_string() ? std::stod(j[key].get<std::string>()) : j[key].get<double>();
}

// A 16-bit PCM WAV of a sine tone, written byte by byte.
inline void write_sine_wav(const std::string& path, double seconds, int rate = 44100, int channels = 2, double hz = 440) {
  const uint32_t samples = static_cast<uint32_t>(seconds * rate);
  const uint32_t data_bytes = samples * channels * 2;
  std::ofstream out(path, std::ios::binary);
  auto u32 = [&](uint32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&](uint16_t v) { out.write(reinterpret_cast<const char*>(&v), 2); };
  out.write("RIFF", 4);
  u32(36 + data_bytes);
  out.write("WAVEfmt ", 8);
  u32(16);
  u16(1);
  u16(static_cast<uint16_t>(channels));
  u32(static_cast<uint32_t>(rate));
  u32(static_cast<uint32_t>(rate * channels * 2));
  u16(static_cast<uint16_t>(channels * 2));
  u16(16);
  out.write("data", 4);
  u32(data_bytes);
  for (uint32_t i = 0; i < samples; ++i) {
    const auto value = static_cast<int16_t>(12000 * std::sin(6.283185307 * hz * i / rate));
    for (int c = 0; c < channels; ++c) u16(static_cast<uint16_t>(value));
  }
}

}  // namespace k3::test
