// Each container/codec as ffprobe sees it, and the decoded quality of H.264 at CRF 17.
#include "tests/video/video_reader.h"
#include "animation/video/video_writer.h"
#include "base/errors.h"
#include "tests/video/video_test_util.h"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <iostream>

namespace fs = std::filesystem;
using namespace k3::video;
using k3::test::ffprobe;
using k3::test::smooth_frame;

namespace {
std::vector<cv::Mat> write_clip(const VideoOptions& options, int width, int height, int frames) {
  std::vector<cv::Mat> written;
  auto writer = open_video_writer(options);
  for (int i = 0; i < frames; ++i) {
    written.push_back(smooth_frame(width, height, i));
    writer->write(written.back());
  }
  writer->finish();
  return written;
}

void require_ffprobe() {
  if (!k3::test::command_exists("ffprobe")) FAIL("ffprobe (package ffmpeg) is needed by the video tests");
}

// Checks what every encoded clip must report.
void check_stream(const nlohmann::json& video, const std::string& codec, const std::string& pix_fmt, int width, int height,
                  const std::string& rate, long frames) {
  INFO("stream: " << video.dump());
  CHECK(video.value("codec_name", "") == codec);
  CHECK(video.value("pix_fmt", "") == pix_fmt);
  CHECK(video.value("width", 0) == width);
  CHECK(video.value("height", 0) == height);
  CHECK(video.value("r_frame_rate", "") == rate);
  CHECK(video.value("avg_frame_rate", "") == rate);
  CHECK(std::stol(video.value("nb_read_frames", "0")) == frames);
}

void check_bt709_tv(const nlohmann::json& video) {
  INFO("stream: " << video.dump());
  CHECK(video.value("color_space", "") == "bt709");
  CHECK(video.value("color_transfer", "") == "bt709");
  CHECK(video.value("color_primaries", "") == "bt709");
  CHECK(video.value("color_range", "") == "tv");
}
}  // namespace

TEST_CASE("H.264 MP4 at 24000/1001 fps: codec, yuv420p, BT.709 tv, rate, count, duration, faststart, PSNR", "[unit]") {
  require_ffprobe();
  k3::test::TempDir dir("video-h264");
  VideoOptions options;
  options.path = dir / "clip.mp4";
  options.fps = {24000, 1001};
  const auto frames = write_clip(options, 96, 64, 24);
  REQUIRE(fs::exists(options.path));
  CHECK_FALSE(fs::exists(dir / ".clip.mp4.partial"));

  const auto probe = ffprobe(options.path);
  const auto video = k3::test::stream_of_type(probe, "video");
  check_stream(video, "h264", "yuv420p", 96, 64, "24000/1001", 24);
  check_bt709_tv(video);
  const double duration = k3::test::as_number(video, "duration");
  INFO("duration " << duration);
  CHECK(duration == Approx(24 * 1001.0 / 24000.0).margin(1e-6));
  CHECK(k3::test::stream_of_type(probe, "audio").is_null());

  // +faststart: the index (moov) comes before the media data (mdat).
  const std::string bytes = k3::test::read_file(options.path);
  CHECK(bytes.find("moov") < bytes.find("mdat"));

  VideoReader reader(options.path);
  cv::Mat decoded;
  double worst = 99;
  int count = 0;
  while (reader.read(decoded)) {
    REQUIRE(count < 24);
    worst = std::min(worst, k3::test::psnr(decoded, frames[count]));
    ++count;
  }
  std::cout << "H.264 CRF 17 round trip: worst frame PSNR " << worst << " dB over " << count << " frames\n";
  CHECK(count == 24);
  CHECK(worst >= 40.0);
}

TEST_CASE("H.265 MP4 reports hevc, yuv420p, BT.709, 15 fps and every frame", "[unit]") {
  require_ffprobe();
  if (!codec_available("h265")) {
    k3::test::skip("this FFmpeg build has no libx265");
    return;
  }
  k3::test::TempDir dir("video-h265");
  VideoOptions options;
  options.path = dir / "clip.mp4";
  options.codec = "h265";
  options.fps = {15, 1};
  options.preset = "ultrafast";
  write_clip(options, 64, 48, 15);
  const auto video = k3::test::stream_of_type(ffprobe(options.path), "video");
  check_stream(video, "hevc", "yuv420p", 64, 48, "15/1", 15);
  check_bt709_tv(video);
  CHECK(video.value("codec_tag_string", "") == "hvc1");
  CHECK(k3::test::as_number(video, "duration") == Approx(1.0).margin(1e-6));
}

TEST_CASE("VP9 WebM reports vp9, yuv420p, BT.709, 12 fps, every frame and the duration", "[unit]") {
  require_ffprobe();
  k3::test::TempDir dir("video-vp9");
  VideoOptions options;
  options.path = dir / "clip.webm";
  options.codec = codec_from_extension(options.path);
  REQUIRE(options.codec == "vp9");
  options.fps = {12, 1};
  options.preset = "ultrafast";
  write_clip(options, 64, 48, 18);
  const auto probe = ffprobe(options.path);
  const auto video = k3::test::stream_of_type(probe, "video");
  check_stream(video, "vp9", "yuv420p", 64, 48, "12/1", 18);
  check_bt709_tv(video);
  // Matroska keeps the duration in the container (milliseconds).
  CHECK(k3::test::as_number(probe["format"], "duration") == Approx(1.5).margin(1e-3));
}

TEST_CASE("Animated GIF: one palette from all frames, 10 fps, every frame, close colours", "[unit]") {
  require_ffprobe();
  k3::test::TempDir dir("video-gif");
  VideoOptions options;
  options.path = dir / "clip.gif";
  options.codec = codec_from_extension(options.path);
  options.fps = {10, 1};
  const auto frames = write_clip(options, 80, 60, 12);  // 80x60: GIF needs no even sizes
  const auto probe = ffprobe(options.path);
  const auto video = k3::test::stream_of_type(probe, "video");
  INFO(video.dump());
  CHECK(video.value("codec_name", "") == "gif");
  CHECK(video.value("width", 0) == 80);
  CHECK(video.value("height", 0) == 60);
  CHECK(video.value("r_frame_rate", "") == "10/1");
  CHECK(std::stol(video.value("nb_read_frames", "0")) == 12);
  CHECK(k3::test::as_number(probe["format"], "duration") == Approx(1.2).margin(1e-6));

  VideoReader reader(options.path);
  cv::Mat decoded;
  double worst = 99;
  int count = 0;
  while (reader.read(decoded) && count < 12) worst = std::min(worst, k3::test::psnr(decoded, frames[count++]));
  std::cout << "GIF (256-colour median cut, ordered dither): worst frame PSNR " << worst << " dB\n";
  CHECK(count == 12);
  CHECK(worst >= 30.0);
}

TEST_CASE("PNG sequence: 000000.png ... hold the exact frames", "[unit]") {
  k3::test::TempDir dir("video-png");
  VideoOptions options;
  options.path = dir / "frames";
  options.codec = codec_from_extension(options.path);
  REQUIRE(options.codec == "png");
  const auto frames = write_clip(options, 33, 17, 3);
  for (int i = 0; i < 3; ++i) {
    cv::Mat bgr = cv::imread(dir / ("frames/00000" + std::to_string(i) + ".png"));
    REQUIRE(!bgr.empty());
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    CHECK(cv::norm(rgb, frames[i], cv::NORM_INF) == 0);
  }
  CHECK(std::distance(fs::directory_iterator(options.path), fs::directory_iterator()) == 3);

  // A resumed run continues the numbering.
  options.first_frame_index = 3;
  write_clip(options, 33, 17, 2);
  CHECK(fs::exists(dir / "frames/000004.png"));
  CHECK(std::distance(fs::directory_iterator(options.path), fs::directory_iterator()) == 5);
}

TEST_CASE("Frames are also kept as PNGs beside the video when frames_dir is set", "[unit]") {
  k3::test::TempDir dir("video-keep");
  VideoOptions options;
  options.path = dir / "clip.mp4";
  options.frames_dir = dir / "frames";
  write_clip(options, 64, 48, 4);
  CHECK(fs::exists(options.path));
  for (int i = 0; i < 4; ++i) CHECK(fs::exists(dir / ("frames/00000" + std::to_string(i) + ".png")));
}

TEST_CASE("Odd sizes are padded by one row/column by default, or refused with a clear message", "[unit]") {
  require_ffprobe();
  k3::test::TempDir dir("video-odd");
  VideoOptions options;
  options.path = dir / "odd.mp4";
  write_clip(options, 65, 49, 3);
  const auto video = k3::test::stream_of_type(ffprobe(options.path), "video");
  CHECK(video.value("width", 0) == 66);
  CHECK(video.value("height", 0) == 50);

  options.path = dir / "refused.mp4";
  options.pad_odd = false;
  auto writer = open_video_writer(options);
  CHECK_THROWS_WITH(writer->write(smooth_frame(65, 49, 0)), Catch::Contains("expected an even width and height, got 65x49"));
  writer.reset();
  CHECK_FALSE(fs::exists(options.path));
  CHECK_FALSE(fs::exists(dir / ".refused.mp4.partial"));
}

TEST_CASE("A writer dropped without finish() leaves neither the final nor the partial file", "[unit]") {
  k3::test::TempDir dir("video-abandon");
  VideoOptions options;
  options.path = dir / "clip.mp4";
  {
    auto writer = open_video_writer(options);
    writer->write(smooth_frame(64, 48, 0));
    CHECK(fs::exists(dir / ".clip.mp4.partial"));
  }
  CHECK_FALSE(fs::exists(options.path));
  CHECK_FALSE(fs::exists(dir / ".clip.mp4.partial"));
}

TEST_CASE("Bad options and frames fail with the expected and the found value", "[unit]") {
  k3::test::TempDir dir("video-errors");
  VideoOptions options;
  options.path = dir / "clip.mp4";

  CHECK_THROWS_AS(codec_from_extension("clip.avi"), k3::ConfigError);
  CHECK_THROWS_WITH(codec_from_extension("clip.avi"), Catch::Contains(".avi"));
  CHECK(codec_from_extension("out/CLIP.MP4") == "h264");

  VideoOptions bad = options;
  bad.codec = "theora";
  CHECK_THROWS_AS(open_video_writer(bad), k3::ConfigError);
  bad = options;
  bad.preset = "quick";
  CHECK_THROWS_WITH(open_video_writer(bad), Catch::Contains("got 'quick'"));
  bad = options;
  bad.path = dir / "missing-folder/clip.mp4";
  CHECK_THROWS_AS(open_video_writer(bad), k3::FileError);
  bad = options;
  bad.audio_path = dir / "no-such.wav";
  CHECK_THROWS_AS(open_video_writer(bad), k3::FileError);
  bad = options;
  bad.codec = "gif";
  bad.audio_path = dir / "clip.mp4";
  CHECK_THROWS_WITH(open_video_writer(bad), Catch::Contains("cannot carry audio"));

  auto writer = open_video_writer(options);
  writer->write(smooth_frame(64, 48, 0));
  CHECK_THROWS_WITH(writer->write(smooth_frame(32, 32, 1)), Catch::Contains("frame 1: expected 64x48, got 32x32"));
  cv::Mat gray(48, 64, CV_8UC1, cv::Scalar(0));
  CHECK_THROWS_WITH(writer->write(gray), Catch::Contains("expected an 8-bit RGB image"));

  VideoOptions empty_options;
  empty_options.path = dir / "empty.mp4";
  auto empty = open_video_writer(empty_options);
  CHECK_THROWS_WITH(empty->finish(), Catch::Contains("expected at least one frame"));
}

TEST_CASE("Frame rates parse as exact rationals", "[unit]") {
  CHECK(parse_frame_rate("12").num == 12);
  CHECK(parse_frame_rate("12").den == 1);
  const FrameRate ntsc = parse_frame_rate("23.976");
  CHECK(ntsc.num == 24000);
  CHECK(ntsc.den == 1001);
  const FrameRate ntsc30 = parse_frame_rate("29.97");
  CHECK(ntsc30.num == 30000);
  CHECK(ntsc30.den == 1001);
  const FrameRate exact = parse_frame_rate("48000/2002");
  CHECK(exact.num == 24000);
  CHECK(exact.den == 1001);
  const FrameRate half = parse_frame_rate("12.5");
  CHECK(half.num == 25);
  CHECK(half.den == 2);
  CHECK_THROWS_AS(parse_frame_rate("fast"), k3::ConfigError);
  CHECK_THROWS_AS(parse_frame_rate("0"), k3::ConfigError);
  CHECK_THROWS_AS(parse_frame_rate("24/0"), k3::ConfigError);
  CHECK_THROWS_AS(parse_frame_rate("12fps"), k3::ConfigError);
}

TEST_CASE("A failing encode keeps the frames already saved and names the cause", "[unit]") {
  k3::test::TempDir dir("video-fail");
  VideoOptions options;
  options.path = dir / "clip.mp4";
  options.frames_dir = dir / "frames";
  options.pad_odd = false;
  auto writer = open_video_writer(options);
  CHECK_THROWS_AS(writer->write(smooth_frame(63, 48, 0)), k3::ConfigError);
  writer.reset();
  CHECK(fs::exists(dir / "frames/000000.png"));
  CHECK_FALSE(fs::exists(options.path));

  // A soundtrack that is not audio fails before any frame is rendered, naming the file.
  k3::test::write_file(dir / "tone.wav", "this is not a WAV file");
  VideoOptions with_audio;
  with_audio.path = dir / "clip.mp4";
  with_audio.audio_path = dir / "tone.wav";
  CHECK_THROWS_AS(open_video_writer(with_audio), k3::FileError);
  CHECK_THROWS_WITH(open_video_writer(with_audio), Catch::Contains("tone.wav"));
  CHECK_FALSE(fs::exists(dir / ".clip.mp4.partial"));
}
