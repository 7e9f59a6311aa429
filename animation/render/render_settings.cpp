// Preset schema version 1 (presets/README.md). Keys and defaults follow Deforum's A1111
// extension (scripts/deforum_helpers/args.py) where they mean the same thing.
#include "animation/render/render_settings.h"

#include "animation/render/schedule_fields.h"
#include "animation/render/settings_reader.h"
#include "base/json_reader.h"
#include "animation/video/encoder_settings.h"
#include "base/errors.h"
#include "base/bounded_json.h"
#include "base/text.h"
#include "src/public/sampler_names.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace k3::anim {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kNoiseTypes = {"uniform", "perlin"};
const std::vector<std::string> kBorders = {"replicate", "wrap"};
const std::vector<std::string> kPaddings = {"border", "reflection", "zeros"};
const std::vector<std::string> kSamplings = {"bicubic", "bilinear", "nearest"};
const std::vector<std::string> kDevices = {"cpu", "cuda"};
const std::vector<std::string> kDtypes = {"auto", "fp32", "bf16", "fp16"};
const std::vector<std::string> kOffloadModes = {"auto", "none", "model", "sequential"};

// A choice among an enum's spellings (setting_names), stored as the enum: strings only in files.
template <typename Enum>
void read_enum(JsonReader& r, const std::string& key, Enum& value) {
  const auto& names = setting_names<Enum>();
  std::string name = setting_name(value);
  r.read_choice(key, name, names);
  value = static_cast<Enum>(std::find(names.begin(), names.end(), name) - names.begin());
}

std::string resolve(const std::string& path, const std::string& base_dir) {
  if (path.empty() || base_dir.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(base_dir) / path).lexically_normal().string();
}

void check_image_file(JsonReader& reader, const std::string& key, const std::string& path) {
  if (path.empty()) return;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) reader.problem(key, "expected an existing image file, got \"" + path + "\" (not found)");
}

// Every schedule of the table (schedule_fields.h) that lives in `section`.
void read_schedules(JsonReader& r, const std::string& section, RenderSettings& s) {
  for (const ScheduleField* field : schedule_fields_in(section)) read_schedule(r, field->key, field->text(s));
}

void read_motion(JsonReader& r, RenderSettings& s, const std::string& base_dir) {
  MotionSettings& m = s.motion;
  read_schedules(r, "motion", s);
  r.read("enable_perspective_flip", m.enable_perspective_flip);
  r.read("flip_drops_translation", m.flip_drops_translation);
  r.read_choice("border", m.border, kBorders);
  r.read_choice("padding_mode", m.padding_mode, kPaddings);
  r.read_choice("sampling_mode", m.sampling_mode, kSamplings);
  // Depth for the 3D warp: use_depth_warping (Deforum's switch) follows from depth_source.
  bool use_depth_warping = false;
  const bool asked = r.has("use_depth_warping");
  r.read("use_depth_warping", use_depth_warping);
  read_enum(r, "depth_source", m.depth_source);
  r.read("depth_path", m.depth_path);
  m.depth_path = resolve(m.depth_path, base_dir);
  r.read("save_depth_maps", m.save_depth_maps);
  if (asked && use_depth_warping && m.depth_source == DepthSource::None)
    r.problem("use_depth_warping", "expected depth_source (images, midas-3 or depth-anything-v2) because use_depth_warping is true, got none");
  if (asked && !use_depth_warping && m.depth_source != DepthSource::None)
    r.problem("use_depth_warping",
              "expected true (or no key) because depth_source is \"" + setting_name(m.depth_source) + "\", got false");
  // A model source without its folder (what a Deforum import gives: the file names no folder)
  // renders with flat depth and says so (render_warnings); depth images need their folder.
  if (m.depth_source == DepthSource::Images && m.depth_path.empty())
    r.problem("depth_path", "expected a folder (or printf pattern) of depth images because depth_source is \"images\", got none");
  m.use_depth_warping = m.depth_source != DepthSource::None;
}

void read_generation(JsonReader& r, RenderSettings& s, const std::string& base_dir) {
  GenerationSettings& g = s.generation;
  read_schedules(r, "generation", s);
  r.read("first_frame_steps", g.first_frame_steps, 0, 1000);
  r.read_choice("noise_type", g.noise_type, kNoiseTypes);
  r.read("perlin_octaves", g.perlin_octaves, 1, 7);
  r.read("perlin_persistence", g.perlin_persistence, 0.0, 1.0);
  r.read_object("anti_blur", [&](JsonReader& a) { read_schedules(a, "generation.anti_blur", s); });
  read_enum(r, "color_coherence", g.color_coherence);
  r.read("color_coherence_image", g.color_coherence_image);
  g.color_coherence_image = resolve(g.color_coherence_image, base_dir);
  check_image_file(r, "color_coherence_image", g.color_coherence_image);
  read_enum(r, "color_reference", g.color_reference);
  r.read("color_reference_every", g.color_reference_every, 1, 100000);
  r.read("color_strength", g.color_strength, 0.0, 1.0);
  r.read("legacy_colormatch", g.legacy_colormatch);
  r.read("color_force_grayscale", g.color_force_grayscale);
  if (g.color_coherence == ColorCoherence::Image && g.color_coherence_image.empty())
    r.problem("color_coherence_image", "expected a reference image file because color_coherence is \"Image\", got none");
  if (g.color_reference == ColorReference::Image && g.color_coherence_image.empty())
    r.problem("color_coherence_image", "expected a reference image file because color_reference is \"image\", got none");
  r.read("cadence", g.cadence, 1, 50);
  read_enum(r, "optical_flow_cadence", g.optical_flow_cadence);
  r.read("init_denoise", g.init_denoise, 0.0, 1.0);
}

void read_seed(JsonReader& r, RenderSettings& settings) {
  SeedSettings& s = settings.seed;
  read_schedules(r, "seed", settings);
  if (r.has("seed")) {
    const json& v = r.raw().at("seed");
    if (v.is_number_integer() && v.get<std::int64_t>() >= -1 && v.get<std::int64_t>() <= 0xFFFFFFFFLL) s.seed = v.get<std::int64_t>();
    else r.problem("seed", "expected an integer in [-1, 4294967295] (-1 = random), got " + json_value_description(v));
  }
  read_enum(r, "behavior", s.behavior);
  r.read("iter_n", s.iter_n, 1, 1000000);
}

void read_model(JsonReader& r, ModelSettings& m) {
  r.read("dir", m.dir);
  if (r.has("device")) {
    r.read("device", m.device);
    if (m.device != "cpu" && m.device.rfind("cuda", 0) != 0) r.problem("device", "expected \"cpu\" or \"cuda[:N]\", got \"" + m.device + "\"");
  }
  r.read_choice("dtype", m.dtype, kDtypes);
  r.read("variant", m.variant);
  r.read_choice("sampler", m.sampler, sampler_names());
  r.read_choice("offload", m.offload, kOffloadModes);
}

void read_output(JsonReader& r, OutputSettings& o, const std::string& base_dir) {
  r.read("video", o.video);
  // Each codec's own limit (51 for H.264/H.265) is checked when the video is opened.
  r.read("crf", o.crf, 0, video::kMaxCrfAnyCodec);
  r.read_choice("x264_preset", o.x264_preset, video::encoder_presets());
  r.read("write_video", o.write_video);
  r.read("soundtrack", o.soundtrack);
  o.soundtrack = resolve(o.soundtrack, base_dir);
  std::error_code ec;
  if (!o.soundtrack.empty() && !fs::is_regular_file(o.soundtrack, ec))
    r.problem("soundtrack", "expected an existing audio file, got \"" + o.soundtrack + "\" (not found)");
  r.read("soundtrack_offset", o.soundtrack_offset, -36000.0, 36000.0);
  r.read("interpolate", o.interpolate, 1, 10);
}

void read_prompts(JsonReader& r, json& prompts) {
  if (!r.has("prompts")) return;
  const json& v = r.raw().at("prompts");
  if (!v.is_object() || v.empty()) {
    r.problem("prompts", "expected an object of frame -> prompt, e.g. {\"0\": \"a forest\"}, got " + json_value_description(v));
    return;
  }
  for (auto it = v.begin(); it != v.end(); ++it) {
    const json& p = it.value();
    bool ok = p.is_string() ||
              (p.is_object() && p.contains("prompt") && p.at("prompt").is_string() &&
               (!p.contains("negative") || p.at("negative").is_string()) && p.size() <= 2);
    if (!ok)
      r.problem("prompts." + it.key(), "expected a prompt string or {\"prompt\": ..., \"negative\": ...}, got " + json_value_description(p));
  }
  prompts = v;
}

void read_keyframe_images(JsonReader& r, std::map<int, std::string>& images, const std::string& base_dir) {
  if (!r.has("keyframe_images")) return;
  const json& v = r.raw().at("keyframe_images");
  if (!v.is_object()) return r.problem("keyframe_images", "expected an object of frame -> image file, got " + json_value_description(v));
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string key = "keyframe_images." + it.key();
    int frame = 0;
    std::size_t used = 0;
    try {
      frame = std::stoi(it.key(), &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != it.key().size() || frame < 1) {
      r.problem(key, "expected a frame number >= 1 as the key (frame 0 uses init_image), got \"" + it.key() + "\"");
      continue;
    }
    if (!it.value().is_string()) {
      r.problem(key, "expected an image file name, got " + json_value_description(it.value()));
      continue;
    }
    std::string path = resolve(it.value().get<std::string>(), base_dir);
    check_image_file(r, key, path);
    images[frame] = path;
  }
}

void read_story(JsonReader& r, std::vector<StorySegment>& story, const std::string& base_dir) {
  if (!r.has("story")) return;
  const json& v = r.raw().at("story");
  if (!v.is_array()) return r.problem("story", "expected an array of segments, got " + json_value_description(v));
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::string path = r.path_of("story") + "[" + std::to_string(i) + "]";
    if (!v[i].is_object()) {
      r.problems()->push_back({path, "expected a segment object, got " + json_value_description(v[i])});
      continue;
    }
    StorySegment segment;
    JsonReader s(v[i], r.source(), path, r.problems());
    s.read("prompt", segment.prompt);
    s.read("negative", segment.negative);
    s.read("init_image", segment.init_image);
    segment.init_image = resolve(segment.init_image, base_dir);
    check_image_file(s, "init_image", segment.init_image);
    s.read("duration", segment.duration, 1e-3, 3600.0);
    s.read("motion", segment.motion);
    s.read("acceleration", segment.acceleration, -100.0, 100.0);
    if (segment.prompt.empty() && segment.init_image.empty()) s.problem("prompt", "expected a prompt (or an init_image), got none");
    s.finish();
    story.push_back(segment);
  }
  if (story.empty()) r.problem("story", "expected at least one segment, got an empty array");
}

}  // namespace

const std::vector<std::string>& story_motion_field_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& field : schedule_fields())
      if (field.story_motion) out.push_back(field.key);
    return out;
  }();
  return names;
}

RenderSettings parse_render_settings(const json& preset, const std::string& source, const std::string& base_dir) {
  std::vector<JsonProblem> issues;
  RenderSettings s;
  if (!preset.is_object()) {
    issues.push_back({"(root)", "expected a JSON object, got " + json_value_description(preset)});
    throw_json_problems(source, issues);
  }
  JsonReader r(preset, source, "", &issues);
  r.read("version", s.version, 1, 1000);
  if (s.version != kPresetSchemaVersion)
    r.problem("version", "expected " + std::to_string(kPresetSchemaVersion) + " (the schema this k3anim reads), got " + std::to_string(s.version));
  r.ignore("$schema");
  r.read("name", s.name);
  r.read("description", s.description);
  r.read("width", s.width, 64, 4096);
  r.read("height", s.height, 64, 4096);
  if (s.width % 8) r.problem("width", "expected a multiple of 8, got " + std::to_string(s.width));
  if (s.height % 8) r.problem("height", "expected a multiple of 8, got " + std::to_string(s.height));
  r.read("fps", s.fps, 0.1, 240.0);
  bool has_frames = r.has("frames");
  bool has_duration = r.has("duration");
  if (has_frames && has_duration) r.problem("duration", "expected either \"frames\" or \"duration\", got both");
  r.read("frames", s.frames, 1, 1000000);
  double duration = 0;
  r.read("duration", duration, 1e-3, 36000.0);
  if (has_duration && !has_frames && duration > 0) s.frames = std::max(1, static_cast<int>(std::lround(duration * s.fps)));
  read_enum(r, "animation_mode", s.animation_mode);
  read_enum(r, "interpolation", s.interpolation);
  read_prompts(r, s.prompts);
  r.read("negative_prompt", s.negative_prompt);
  r.read("prompt_blend_frames", s.prompt_blend_frames, -1, 100000);
  r.read("prompt_blend_schedule", s.prompt_blend_schedule);
  r.read("init_image", s.init_image);
  s.init_image = resolve(s.init_image, base_dir);
  check_image_file(r, "init_image", s.init_image);
  read_keyframe_images(r, s.keyframe_images, base_dir);
  r.read_object("motion", [&](JsonReader& o) { read_motion(o, s, base_dir); });
  r.read_object("generation", [&](JsonReader& o) { read_generation(o, s, base_dir); });
  r.read_object("seed", [&](JsonReader& o) { read_seed(o, s); });
  r.read_object("model", [&](JsonReader& o) { read_model(o, s.model); });
  r.read_object("output", [&](JsonReader& o) { read_output(o, s.output, base_dir); });
  r.read_object("zoom", [&](JsonReader& o) {
    o.read("factor", s.zoom.factor, 1.01, 16.0);
    o.read("keyframes", s.zoom.keyframes, 1, 10000);
    o.read("frames_per_keyframe", s.zoom.frames_per_keyframe, 1, 100000);
    read_enum(o, "direction", s.zoom.direction);
    o.read("mask_blur", s.zoom.mask_blur, 0, 1024);
    o.read("denoise", s.zoom.denoise, 0.01, 1.0);
  });
  read_story(r, s.story, base_dir);
  if (s.animation_mode == AnimationMode::Zoom) {
    // The clip length follows from the keyframes; an explicit count may only cut it short.
    int zoom_frames = s.zoom.keyframes * s.zoom.frames_per_keyframe + 1;
    if (has_frames && s.frames > zoom_frames)
      r.problem("frames", "expected at most zoom.keyframes x zoom.frames_per_keyframe + 1 = " + std::to_string(zoom_frames) +
                            " in zoom mode, got " + std::to_string(s.frames));
    if (has_duration) r.problem("duration", "expected no duration in zoom mode (zoom.keyframes and zoom.frames_per_keyframe set the length)");
    if (!s.story.empty()) r.problem("story", "expected no story in zoom mode");
    if (!has_frames) s.frames = zoom_frames;
  }
  r.read_object("story_motion", [&](JsonReader& o) {
    read_enum(o, "mode", s.story_motion.mode);
    read_enum(o, "transition", s.story_motion.transition);
    if (!o.has("fields")) return;
    const json& fields = o.raw().at("fields");
    if (!fields.is_object()) return o.problem("fields", "expected an object of motion field -> value, got " + json_value_description(fields));
    const auto& names = story_motion_field_names();
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      if (std::find(names.begin(), names.end(), it.key()) == names.end()) {
        std::string guess = did_you_mean(it.key(), names);
        o.problem("fields." + it.key(), "unknown motion field" + (guess.empty() ? std::string() : " (did you mean \"" + guess + "\"?)"));
      } else if (!it.value().is_number() && !it.value().is_string()) {
        o.problem("fields." + it.key(), "expected a number or an expression of t and a, got " + json_value_description(it.value()));
      }
    }
    s.story_motion.fields = fields;
  });
  if (!s.story.empty() && has_frames) r.problem("frames", "expected no frame count with a story (the segments' durations set it), got " + std::to_string(s.frames));
  r.finish();
  if (!issues.empty()) throw_json_problems(source, issues);
  return s;
}

RenderSettings load_render_settings(const std::string& path) {
  return parse_render_settings(read_bounded_json_file(path), path, fs::path(path).parent_path().string());
}

namespace {
json keyframe_images_json(const std::map<int, std::string>& images) {
  json out = json::object();
  for (const auto& [frame, path] : images) out[std::to_string(frame)] = path;
  return out;
}
}  // namespace

// Each list in the order of its enum.
template <> const std::vector<std::string>& setting_names<AnimationMode>() {
  static const std::vector<std::string> names = {"2D", "3D", "None", "Interpolation", "zoom"};
  return names;
}
template <> const std::vector<std::string>& setting_names<SeedBehavior>() {
  static const std::vector<std::string> names = {"iter", "fixed", "random", "ladder", "alternate", "schedule"};
  return names;
}
template <> const std::vector<std::string>& setting_names<DepthSource>() {
  static const std::vector<std::string> names = {"none", "images", "midas-3", "depth-anything-v2"};
  return names;
}
template <> const std::vector<std::string>& setting_names<ColorCoherence>() {
  static const std::vector<std::string> names = {"None", "RGB", "HSV", "LAB", "Image"};
  return names;
}
template <> const std::vector<std::string>& setting_names<ColorReference>() {
  static const std::vector<std::string> names = {"first_frame", "previous", "image"};
  return names;
}
template <> const std::vector<std::string>& setting_names<ZoomDirection>() {
  static const std::vector<std::string> names = {"out", "in"};
  return names;
}
template <> const std::vector<std::string>& setting_names<StoryMotionMode>() {
  static const std::vector<std::string> names = {"2D", "3D"};
  return names;
}
template <> const std::vector<std::string>& setting_names<StoryTransition>() {
  static const std::vector<std::string> names = {"linear", "step"};
  return names;
}
template <> const std::vector<std::string>& setting_names<OpticalFlowCadence>() {
  static const std::vector<std::string> names = {"None", "DIS Medium", "DIS Fine", "Farneback"};  // Deforum's (no RAFT)
  return names;
}
template <> const std::vector<std::string>& setting_names<sched::Interpolation>() {
  static const std::vector<std::string> names = {"linear", "step", "cubic"};  // no Bezier in presets
  return names;
}

const char* animation_mode_name(AnimationMode mode) { return setting_name(mode).c_str(); }

json to_json(const RenderSettings& s) {
  const auto& m = s.motion;
  const auto& g = s.generation;
  json story = json::array();
  for (const auto& seg : s.story)
    story.push_back({{"prompt", seg.prompt}, {"negative", seg.negative}, {"init_image", seg.init_image},
                     {"duration", seg.duration}, {"motion", seg.motion}, {"acceleration", seg.acceleration}});
  json out = {
      {"version", s.version},
      {"name", s.name},
      {"description", s.description},
      {"width", s.width},
      {"height", s.height},
      {"fps", s.fps},
      {"frames", s.frames},
      {"animation_mode", setting_name(s.animation_mode)},
      {"interpolation", setting_name(s.interpolation)},
      {"prompts", s.prompts},
      {"negative_prompt", s.negative_prompt},
      {"prompt_blend_frames", s.prompt_blend_frames},
      {"prompt_blend_schedule", s.prompt_blend_schedule},
      {"init_image", s.init_image},
      {"keyframe_images", keyframe_images_json(s.keyframe_images)},
      {"motion",
       {{"enable_perspective_flip", m.enable_perspective_flip}, {"flip_drops_translation", m.flip_drops_translation},
        {"border", m.border}, {"padding_mode", m.padding_mode}, {"sampling_mode", m.sampling_mode},
        {"use_depth_warping", m.use_depth_warping}, {"depth_source", setting_name(m.depth_source)}, {"depth_path", m.depth_path},
        {"save_depth_maps", m.save_depth_maps}}},
      {"generation",
       {{"first_frame_steps", g.first_frame_steps}, {"noise_type", g.noise_type}, {"perlin_octaves", g.perlin_octaves},
        {"perlin_persistence", g.perlin_persistence},
        {"color_coherence", setting_name(g.color_coherence)}, {"color_coherence_image", g.color_coherence_image},
        {"color_reference", setting_name(g.color_reference)}, {"color_reference_every", g.color_reference_every},
        {"color_strength", g.color_strength}, {"legacy_colormatch", g.legacy_colormatch},
        {"color_force_grayscale", g.color_force_grayscale},
        {"cadence", g.cadence}, {"optical_flow_cadence", setting_name(g.optical_flow_cadence)},
        {"init_denoise", g.init_denoise}}},
      {"seed", {{"seed", s.seed.seed}, {"behavior", setting_name(s.seed.behavior)}, {"iter_n", s.seed.iter_n}}},
      {"model", {{"dir", s.model.dir}, {"device", s.model.device}, {"dtype", s.model.dtype}, {"variant", s.model.variant}, {"sampler", s.model.sampler}, {"offload", s.model.offload}}},
      {"zoom",
       {{"factor", s.zoom.factor}, {"keyframes", s.zoom.keyframes}, {"frames_per_keyframe", s.zoom.frames_per_keyframe},
        {"direction", setting_name(s.zoom.direction)}, {"mask_blur", s.zoom.mask_blur}, {"denoise", s.zoom.denoise}}},
      {"output", {{"video", s.output.video}, {"crf", s.output.crf}, {"x264_preset", s.output.x264_preset}, {"write_video", s.output.write_video},
                  {"soundtrack", s.output.soundtrack}, {"soundtrack_offset", s.output.soundtrack_offset},
                  {"interpolate", s.output.interpolate}}},
  };
  // Every schedule of the table, in its section (generation.anti_blur nests).
  for (const auto& field : schedule_fields()) field.section_in(out)[field.key] = field.text_of(s);
  if (!s.story_motion.fields.empty())
    out["story_motion"] = {{"mode", setting_name(s.story_motion.mode)},
                           {"transition", setting_name(s.story_motion.transition)},
                           {"fields", s.story_motion.fields}};
  if (!s.story.empty()) {
    out["story"] = story;
    out.erase("frames");
  }
  return out;
}

void apply_override(json& preset, const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError("--set: expected key.path=value, got \"" + assignment + "\"");
  std::string key = assignment.substr(0, eq);
  std::string text = assignment.substr(eq + 1);
  json value;
  try {
    value = json::parse(text);
  } catch (const json::parse_error&) {
    value = text;  // bare words and schedules need no quotes
  }
  json* node = &preset;
  std::stringstream parts(key);
  std::string part;
  std::vector<std::string> path;
  while (std::getline(parts, part, '.')) path.push_back(part);
  for (std::size_t i = 0; i + 1 < path.size(); ++i) {
    if (!node->is_object()) throw ConfigError("--set " + key + ": expected an object at \"" + path[i] + "\"");
    if (!node->contains(path[i])) (*node)[path[i]] = json::object();
    node = &(*node)[path[i]];
  }
  if (!node->is_object()) throw ConfigError("--set " + key + ": expected an object above \"" + path.back() + "\"");
  (*node)[path.back()] = value;
  // "frames" and "duration" exclude each other: the override wins.
  if (path.size() == 1 && path[0] == "frames") preset.erase("duration");
  if (path.size() == 1 && path[0] == "duration") preset.erase("frames");
}

}  // namespace k3::anim
