// Soundtracks: copied or transcoded, cut to the video's length, shifted by an offset.
#include "animation/video/video_writer.h"
#include "tests/video/video_test_util.h"

#include <catch2/catch.hpp>

#include <iostream>

using namespace k3::video;
using k3::test::ffprobe;
using k3::test::shell_quote;
using k3::test::stream_of_type;

namespace {
// 24 frames at 12 fps: 2 seconds of video.
void write_two_seconds(const VideoOptions& options) {
  auto writer = open_video_writer(options);
  for (int i = 0; i < 24; ++i) writer->write(k3::test::smooth_frame(64, 48, i));
  writer->finish();
}

// Loudest sample (dBFS) of the file's audio between two times, from ffmpeg's volumedetect.
double max_volume(const std::string& path, double from, double to) {
  const auto result = k3::test::run("ffmpeg -hide_banner -nostats -i " + shell_quote(path) + " -vn -af atrim=" + std::to_string(from) +
                                    ":" + std::to_string(to) + ",volumedetect -f null - 2>&1");
  const std::string key = "max_volume: ";
  const auto at = result.output.find(key);
  if (at == std::string::npos) return 999;
  const std::string value = result.output.substr(at + key.size(), result.output.find(' ', at + key.size()) - at - key.size());
  return value == "-inf" ? -200.0 : std::stod(value);
}

// Checks the audio stream's codec and that it lasts as long as the video, within one audio frame.
void check_audio(const std::string& path, const std::string& codec, double expected_seconds) {
  const auto probe = ffprobe(path);
  const auto audio = stream_of_type(probe, "audio");
  const auto video = stream_of_type(probe, "video");
  INFO("audio: " << audio.dump());
  REQUIRE(audio.is_object());
  CHECK(audio.value("codec_name", "") == codec);
  CHECK(std::stol(video.value("nb_read_frames", "0")) == 24);
  const double rate = k3::test::as_number(audio, "sample_rate");
  const double frame_seconds = (codec == "opus" ? 960.0 : 1024.0) / rate;
  double seconds = k3::test::as_number(audio, "duration");
  if (seconds < 0) seconds = k3::test::as_number(probe["format"], "duration");  // WebM keeps it there
  std::cout << path.substr(path.rfind('/') + 1) << ": " << codec << " audio lasts " << seconds << " s for " << expected_seconds
            << " s expected (one audio frame = " << frame_seconds << " s)\n";
  CHECK(std::abs(seconds - expected_seconds) <= frame_seconds);
}

void require_ffmpeg() {
  if (!k3::test::command_exists("ffprobe") || !k3::test::command_exists("ffmpeg"))
    FAIL("ffmpeg and ffprobe (package ffmpeg) are needed by the soundtrack tests");
}
}  // namespace

TEST_CASE("A WAV soundtrack is transcoded to AAC in MP4 and cut to the video's length", "[unit]") {
  require_ffmpeg();
  k3::test::TempDir dir("audio-wav");
  k3::test::write_sine_wav(dir / "tone.wav", 3.0);
  VideoOptions options;
  options.path = dir / "clip.mp4";
  options.audio_path = dir / "tone.wav";
  write_two_seconds(options);
  check_audio(options.path, "aac", 2.0);
  CHECK(max_volume(options.path, 0.1, 1.9) > -20);
}

TEST_CASE("An AAC soundtrack is copied into MP4 and cut within one audio frame", "[unit]") {
  require_ffmpeg();
  k3::test::TempDir dir("audio-aac");
  const auto made = k3::test::run("ffmpeg -v error -f lavfi -i sine=frequency=330:duration=3:sample_rate=48000 -c:a aac " +
                                  shell_quote(dir / "tone.m4a"));
  REQUIRE(made.exit_code == 0);
  VideoOptions options;
  options.path = dir / "clip.mp4";
  options.audio_path = dir / "tone.m4a";
  write_two_seconds(options);
  check_audio(options.path, "aac", 2.0);
}

TEST_CASE("A positive offset delays the sound with silence and a negative one skips its start", "[unit]") {
  require_ffmpeg();
  k3::test::TempDir dir("audio-offset");
  k3::test::write_sine_wav(dir / "tone.wav", 2.5, 48000, 1);
  VideoOptions options;
  options.audio_path = dir / "tone.wav";

  options.path = dir / "delayed.mp4";
  options.audio_offset = 0.5;
  write_two_seconds(options);
  check_audio(options.path, "aac", 2.0);
  const double silent = max_volume(options.path, 0.0, 0.45), loud = max_volume(options.path, 0.55, 1.9);
  std::cout << "delayed soundtrack: max volume " << silent << " dB before 0.45 s, " << loud << " dB after 0.55 s\n";
  CHECK(silent < -60);
  CHECK(loud > -20);

  // Skipping 1 s of a 2.5 s sound leaves 1.5 s: the soundtrack ends before the video.
  options.path = dir / "skipped.mp4";
  options.audio_offset = -1.0;
  write_two_seconds(options);
  check_audio(options.path, "aac", 1.5);
  CHECK(max_volume(options.path, 0.0, 0.4) > -20);
}

TEST_CASE("A WAV soundtrack becomes Opus in WebM, cut to the video's length", "[unit]") {
  require_ffmpeg();
  k3::test::TempDir dir("audio-webm");
  k3::test::write_sine_wav(dir / "tone.wav", 3.0);
  VideoOptions options;
  options.path = dir / "clip.webm";
  options.codec = "vp9";
  options.preset = "ultrafast";
  options.audio_path = dir / "tone.wav";
  write_two_seconds(options);
  check_audio(options.path, "opus", 2.0);
}
