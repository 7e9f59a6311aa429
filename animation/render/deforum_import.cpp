// Key names, defaults and meanings follow A1111 sd-webui-deforum scripts/deforum_helpers/args.py
// and settings.py (deprecation map), and deforum-kandinsky deforum_kandinsky/configs/defaults.py.
#include "animation/render/deforum_import.h"

#include "animation/render/schedule_fields.h"
#include "base/text.h"

#include "animation/render/render_settings.h"
#include "base/bounded_json.h"
#include "base/errors.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

namespace k3::anim {

using nlohmann::json;

DeforumFlavor parse_deforum_flavor(const std::string& name) {
  if (name == "auto") return DeforumFlavor::Auto;
  if (name == "a1111") return DeforumFlavor::A1111;
  if (name == "dk") return DeforumFlavor::DeforumKandinsky;
  throw ConfigError("--flavor: expected auto, a1111 or dk, got \"" + name + "\"");
}

namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// Splits at `separator` outside parentheses and quotes.
std::vector<std::string> split_top_level(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string current;
  int depth = 0;
  char quote = 0;
  for (char c : text) {
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (c == separator && depth == 0) {
      parts.push_back(current);
      current.clear();
      continue;
    }
    current += c;
  }
  parts.push_back(current);
  return parts;
}

std::string format_number(double v) {
  std::ostringstream out;
  out.precision(10);
  out << v;
  return out.str();
}

bool parse_number(const std::string& text, double& value) {
  std::istringstream in(text);
  in >> value;
  return in && (in >> std::ws).eof();
}

// A Deforum schedule string: "0: (0.65)" or a bare number (sd-webui-deforum#670).
std::string schedule_text(const std::string& key, const json& value) {
  if (value.is_number()) return "0:(" + value.dump() + ")";
  if (value.is_string()) return value.get<std::string>();
  throw ConfigError(key + ": expected a keyframe schedule string, got " + value.dump());
}

// Applies f to every keyframe value of a schedule (numbers given as numbers when possible).
std::string map_schedule(const std::string& schedule, const std::function<std::string(const std::string&)>& f) {
  std::string out;
  for (const auto& piece : split_top_level(schedule, ',')) {
    if (trim(piece).empty()) continue;
    auto kv = split_top_level(piece, ':');
    if (kv.size() < 2) return f(trim(schedule));  // not a keyframe list: treat as one value
    std::string key = trim(kv[0]);
    std::string value = trim(piece.substr(piece.find(':', kv[0].size()) + 1));
    if (value.size() >= 2 && value.front() == '(' && value.back() == ')') value = value.substr(1, value.size() - 2);
    out += (out.empty() ? "" : ", ") + key + ":(" + f(trim(value)) + ")";
  }
  return out;
}

std::string offset_schedule(const std::string& schedule, double scale, double offset) {
  return map_schedule(schedule, [&](const std::string& v) {
    double number = 0;
    if (parse_number(v, number)) return format_number(offset + scale * number);
    std::string scaled = scale == 1 ? "(" + v + ")" : format_number(scale) + "*(" + v + ")";
    return offset == 0 ? scaled : format_number(offset) + (scale < 0 ? "-" : "+") + (scale < 0 ? "(" + v + ")" : scaled);
  });
}

bool as_bool(const std::string& key, const json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string()) return v == "True" || v == "true" || v == "1";
  throw ConfigError(key + ": expected true or false, got " + v.dump());
}
double as_number(const std::string& key, const json& v) {
  if (v.is_number()) return v.get<double>();
  double d = 0;
  if (v.is_string() && parse_number(v.get<std::string>(), d)) return d;
  throw ConfigError(key + ": expected a number, got " + v.dump());
}
// A whole-number setting: the number truncated as Deforum's int() does, refused (instead of an
// undefined cast) when it lies outside what an int holds.
int as_int(const std::string& key, const json& v) {
  const double d = as_number(key, v);
  if (!(d > -2147483649.0 && d < 2147483648.0))
    throw ConfigError(key + ": expected a whole number from -2147483648 to 2147483647, got " + v.dump());
  return static_cast<int>(d);
}
// A seed: -1 (random) for any negative value, else its low 32 bits, as A1111 keeps them.
std::int64_t as_seed(const std::string& key, const json& v) {
  const double d = as_number(key, v);
  if (d < 0) return -1;
  if (!(d < 9223372036854775808.0))
    throw ConfigError(key + ": expected a seed below 2^63, got " + v.dump());
  return static_cast<std::int64_t>(d) & 0xFFFFFFFFLL;
}
std::string as_string(const std::string& key, const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return v.dump();
  throw ConfigError(key + ": expected a string, got " + v.dump());
}

// Deforum's files write one setting as a number, a numeric string or a bool depending on the
// version ("diffusion_redo": "0" or 0, "reroll_patience": 10.0): compare by meaning.
bool same_value(const std::string& key, const json& v, const json& supported) {
  if (v == supported) return true;
  if (supported.is_boolean()) return (v.is_boolean() || v.is_number() || v.is_string()) && as_bool(key, v) == supported.get<bool>();
  double a = 0, b = 0;
  bool v_number = v.is_number() || (v.is_string() && parse_number(v.get<std::string>(), a));
  bool s_number = supported.is_number() || (supported.is_string() && parse_number(supported.get<std::string>(), b));
  if (v.is_number()) a = v.get<double>();
  if (supported.is_number()) b = supported.get<double>();
  return v_number && s_number && a == b;
}

// A path Deforum may write as null, "" or "None" (no file).
bool no_path(const std::string& path) { return path.empty() || path == "None"; }

struct Importer {
  const json& in;
  DeforumFlavor flavor;
  json out;
  std::vector<ImportWarning> warnings;
  std::set<std::string> handled;

  // Deforum writes null (and "None") for values it leaves unset: such a key counts as absent.
  bool has(const std::string& k) const { return in.contains(k) && !in.at(k).is_null(); }
  // Marks a key as read; its value, or nullptr when it is absent or null.
  const json* take(const std::string& k) {
    if (!in.contains(k)) return nullptr;
    handled.insert(k);
    return in.at(k).is_null() ? nullptr : &in.at(k);
  }
  void warn(const std::string& key, const std::string& reason) { warnings.push_back({key, reason}); }
  json& motion() { return out["motion"]; }
  json& generation() { return out["generation"]; }

  // A key whose only supported value is the one our renderer implements.
  void only_value(const std::string& key, const json& supported, const std::string& reason) {
    const json* v = take(key);
    if (v && !same_value(key, *v, supported)) warn(key, "value " + v->dump() + " is not supported: " + reason);
  }
};

// Deforum's depth keys (spec depth.md 6): use_depth_warping + depth_algorithm choose the source;
// the model folder is not in Deforum's file, so the user names it (motion.depth_path).
template <typename Take>
void import_depth(Importer& im, Take&& take) {
  const json* use = take("use_depth_warping");
  const json* algorithm_value = take("depth_algorithm");
  const json* weight = take("midas_weight");
  if (auto* v = take("save_depth_maps")) im.motion()["save_depth_maps"] = as_bool("save_depth_maps", *v);
  im.motion()["use_depth_warping"] = false;
  if (!use || !as_bool("use_depth_warping", *use)) return;
  const std::string algorithm = algorithm_value ? as_string("depth_algorithm", *algorithm_value) : "Midas-3-Hybrid";
  const std::string lowered = lower(algorithm);
  const bool adabins = lowered.find("adabins") != std::string::npos;
  std::string source;
  if (lowered.find("depth-anything") != std::string::npos || lowered.find("depth anything") != std::string::npos) {
    source = "depth-anything-v2";
  } else if (lowered.rfind("midas", 0) == 0) {
    source = "midas-3";
    if (lowered.find("beit") != std::string::npos)
      im.warn("depth_algorithm", "\"" + algorithm + "\": BEiT-Large MiDaS 3.1 is not supported; using midas-3 (DPT-Large)");
    if (adabins)
      im.warn("depth_algorithm", "\"" + algorithm + "\": the AdaBins blend and the legacy warp are out of scope; using "
                                 "MiDaS alone with Deforum's current z conversion");
  } else {
    im.warn("depth_algorithm", "\"" + algorithm + "\" is not supported (midas-3, depth-anything-v2): 3D warps use flat depth");
    return;
  }
  if (weight && as_number("midas_weight", *weight) < 1.0 && (adabins || im.flavor == DeforumFlavor::DeforumKandinsky))
    im.warn("midas_weight", "the blend with AdaBins is out of scope: MiDaS alone is used (as with midas_weight 1)");
  im.motion()["use_depth_warping"] = true;
  im.motion()["depth_source"] = source;
  im.motion()["depth_path"] = "";
  im.warn("use_depth_warping", "depth from " + source + ": set motion.depth_path to the model folder (" +
                                   (source == "midas-3" ? std::string("Intel/dpt-large") : std::string("depth-anything/Depth-Anything-V2-*-hf")) +
                                   ", safetensors) before rendering");
}

std::string map_color_mode(const std::string& mode, Importer& im, const std::string& key) {
  std::string m = mode;
  const std::string prefix = "Match Frame 0 ";
  if (m.rfind(prefix, 0) == 0) m = m.substr(prefix.size());  // deprecated names (settings.py)
  if (m == "None" || m == "RGB" || m == "HSV" || m == "LAB" || m == "Image") return m;
  im.warn(key, "colour coherence \"" + mode + "\" is not supported (None, RGB, HSV, LAB, Image): using None");
  return "None";
}

void import_prompts(Importer& im) {
  // A1111 stores the prompts as "prompts" (older files: "animation_prompts"); DK takes a dict
  // or a list (one per segment, which needs durations: reported).
  json prompts = json::object();
  for (const char* key : {"prompts", "animation_prompts"}) {
    const json* value = im.take(key);
    if (!value) continue;
    const json& v = *value;
    json parsed = v;
    if (v.is_string()) {
      try {
        parsed = parse_bounded_json(v.get<std::string>(), key);
      } catch (const FileError& e) {
        throw ConfigError(std::string(key) + ": expected a JSON object of frame -> prompt, got an unparsable string (" +
                          e.what() + ")");
      }
    }
    if (!parsed.is_object()) throw ConfigError(std::string(key) + ": expected an object of frame -> prompt, got " + v.dump());
    for (auto it = parsed.begin(); it != parsed.end(); ++it) prompts[it.key()] = as_string(std::string(key) + "." + it.key(), it.value());
  }
  std::string positive, negative;
  for (const char* key : {"animation_prompts_positive", "positive_prompts"})
    if (const json* v = im.take(key)) positive += v->is_string() ? v->get<std::string>() : "";
  for (const char* key : {"animation_prompts_negative", "negative_prompts"}) {
    const json* value = im.take(key);
    if (!value) continue;
    const json& v = *value;
    if (v.is_string()) negative += (negative.empty() ? "" : ", ") + v.get<std::string>();
    else if (v.is_array() && !v.empty() && v[0].is_string()) negative += (negative.empty() ? "" : ", ") + v[0].get<std::string>();
  }
  // Each frame prompt: positive text, the value, then the global negative after "--neg"
  // (A1111 prompt.py), unless the value has a negative of its own.
  for (auto it = prompts.begin(); it != prompts.end(); ++it) {
    std::string text = it.value().get<std::string>();
    if (!positive.empty()) text = trim(positive) + " " + text;
    it.value() = text;
  }
  if (!prompts.empty()) im.out["prompts"] = prompts;
  if (!negative.empty()) im.out["negative_prompt"] = trim(negative);
}

// The output keys of DeforumOutputArgs (args.py): the soundtrack and frame interpolation map to
// the preset's output section; keys that only matter when their switch is on are read silently
// while it is off (Deforum ignores them then too).
void import_output(Importer& im) {
  json& output = im.out["output"];
  if (auto* v = im.take("skip_video_creation")) output["write_video"] = !as_bool("skip_video_creation", *v);
  std::string soundtrack = "None";
  if (auto* v = im.take("add_soundtrack")) soundtrack = as_string("add_soundtrack", *v);
  std::string path;
  if (auto* v = im.take("soundtrack_path")) path = as_string("soundtrack_path", *v);
  bool remote = path.rfind("http://", 0) == 0 || path.rfind("https://", 0) == 0;
  if (soundtrack == "File" && remote) im.warn("soundtrack_path", "URLs are not downloaded: give a local audio file");
  else if (soundtrack == "File" && !no_path(path)) output["soundtrack"] = path;
  else if (soundtrack != "None" && soundtrack != "File")
    im.warn("add_soundtrack", "\"" + soundtrack + "\" is not supported (None, File): no soundtrack");

  std::string engine = "None";
  if (auto* v = im.take("frame_interpolation_engine")) engine = as_string("frame_interpolation_engine", *v);
  int amount = 2;
  if (auto* v = im.take("frame_interpolation_x_amount")) amount = as_int("frame_interpolation_x_amount", *v);
  const bool on = engine != "None";
  if (on) {
    im.warn("frame_interpolation_engine", engine + " is not available: frames are interpolated by optical flow (DIS)");
    output["interpolate"] = std::clamp(amount, 1, 10);
  }
  bool slow_mo = false;
  if (auto* v = im.take("frame_interpolation_slow_mo_enabled")) slow_mo = as_bool("frame_interpolation_slow_mo_enabled", *v);
  if (on && slow_mo) im.warn("frame_interpolation_slow_mo_enabled", "slow motion is not supported: the clip keeps its length");
  im.take("frame_interpolation_slow_mo_amount");
  bool keep = false;
  if (auto* v = im.take("frame_interpolation_keep_imgs")) keep = as_bool("frame_interpolation_keep_imgs", *v);
  if (on && keep) im.warn("frame_interpolation_keep_imgs", "interpolated frames go into the video only, not to PNG files");
  if (on) im.only_value("frame_interpolation_use_upscaled", false, "upscaling is not implemented");
  else im.take("frame_interpolation_use_upscaled");
  im.only_value("make_gif", false, "render to a .gif output file instead");
  im.only_value("delete_imgs", false, "PNG frames are kept: they are what --resume continues from");
}

}  // namespace

std::string strength_to_denoise_schedule(const std::string& strength_schedule) {
  return offset_schedule(strength_schedule, -1.0, 1.0);
}

DeforumImport import_deforum_settings(const json& settings, const std::string& source, DeforumFlavor flavor) {
  if (!settings.is_object()) throw ConfigError(source + ": expected a Deforum settings object, got " + settings.dump().substr(0, 40));
  if (flavor == DeforumFlavor::Auto) {
    flavor = DeforumFlavor::A1111;
    for (const char* dk_key : {"prior_seed", "near_plane", "far_plane", "scale", "midas_weight"})
      if (settings.contains(dk_key) && !settings.contains("sd_model_name") && !settings.contains("cfg_scale_schedule"))
        flavor = DeforumFlavor::DeforumKandinsky;
  }
  bool dk = flavor == DeforumFlavor::DeforumKandinsky;
  Importer im{settings, flavor, json::object(), {}, {}};
  try {
    RenderSettings defaults;
    im.out = to_json(defaults);
    im.out["name"] = "imported";
    im.out["description"] = "imported from " + source;
    auto& in = settings;
    auto take = [&](const std::string& key) { return im.take(key); };

    // Image and run.
    if (auto* v = take("W")) im.out["width"] = std::max(64, as_int("W", *v) / 8 * 8);
    if (auto* v = take("H")) im.out["height"] = std::max(64, as_int("H", *v) / 8 * 8);
    if (auto* v = take("fps")) im.out["fps"] = as_number("fps", *v);
    if (auto* v = take("max_frames")) im.out["frames"] = std::max(1, as_int("max_frames", *v));
    if (auto* v = take("batch_name")) im.out["name"] = as_string("batch_name", *v);
    if (auto* v = take("animation_mode")) {
      std::string mode = as_string("animation_mode", *v);
      if (mode == "2D" || mode == "3D" || mode == "None" || mode == "Interpolation") im.out["animation_mode"] = mode;
      else im.warn("animation_mode", "mode \"" + mode + "\" is not supported (2D, 3D, None, Interpolation): rendering as 2D"), im.out["animation_mode"] = "2D";
    }
    json& seed = im.out["seed"];
    if (auto* v = take("seed")) seed["seed"] = as_seed("seed", *v);
    if (auto* v = take("seed_behavior")) seed["behavior"] = as_string("seed_behavior", *v);
    if (auto* v = take("seed_iter_N")) seed["iter_n"] = std::max(1, as_int("seed_iter_N", *v));

    // Steps: the schedule when enabled, else the plain value.
    bool steps_scheduled = false;
    if (auto* v = take("enable_steps_scheduling")) steps_scheduled = as_bool("enable_steps_scheduling", *v);
    if (auto* v = take("steps")) im.generation()["steps"] = "0:(" + format_number(as_number("steps", *v)) + ")";
    if (auto* v = take("steps_schedule"))
      if (steps_scheduled) im.generation()["steps"] = schedule_text("steps_schedule", *v);

    // Strength: A1111 keeps `strength` of the previous frame; DK passes it to diffusers as denoise.
    if (auto* v = take("strength_schedule")) {
      std::string s = schedule_text("strength_schedule", *v);
      im.generation()["denoise"] = dk ? s : strength_to_denoise_schedule(s);
    }
    bool use_init = false;
    if (auto* v = take("use_init")) use_init = as_bool("use_init", *v);
    if (auto* v = take("strength")) {
      double s = std::clamp(as_number("strength", *v), 0.0, 1.0);
      im.generation()["init_denoise"] = dk ? s : 1.0 - s;
    }
    if (auto* v = take("init_image")) {
      std::string path = as_string("init_image", *v);
      if (path == "None") path.clear();
      bool remote = path.rfind("http://", 0) == 0 || path.rfind("https://", 0) == 0;
      if ((use_init || dk) && remote) im.warn("init_image", "URLs are not downloaded: give a local file");
      else if ((use_init || dk) && !path.empty()) im.out["init_image"] = path;
    }
    im.only_value("strength_0_no_init", true, "frame 0 without an init image is always text-to-image");

    // Guidance: SD's cfg c gives uncond + c*(cond-uncond); Kandinsky 3's guidance g gives
    // uncond + (g+1)*(cond-uncond), so g = c - 1.
    if (auto* v = take("cfg_scale_schedule")) im.generation()["guidance"] = offset_schedule(schedule_text("cfg_scale_schedule", *v), 1.0, -1.0);
    if (dk && take("scale")) {
      im.warn("scale", "deforum-kandinsky never passed it to the decoder (spec 4.5): guidance keeps its default");
    }

    // Pixel operations.
    if (auto* v = take("noise_type")) {
      std::string t = as_string("noise_type", *v);
      if (t == "uniform" || t == "perlin") im.generation()["noise_type"] = t;
      else im.warn("noise_type", "noise type \"" + t + "\" is not supported (uniform, perlin)");
    }
    if (auto* v = take("perlin_octaves")) im.generation()["perlin_octaves"] = std::clamp(as_int("perlin_octaves", *v), 1, 7);
    if (auto* v = take("perlin_persistence")) im.generation()["perlin_persistence"] = std::clamp(as_number("perlin_persistence", *v), 0.0, 1.0);
    im.only_value("perlin_w", 8, "the Perlin base resolution is fixed at 8 cells");
    im.only_value("perlin_h", 8, "the Perlin base resolution is fixed at 8 cells");
    if (auto* v = take("color_coherence")) im.generation()["color_coherence"] = map_color_mode(as_string("color_coherence", *v), im, "color_coherence");
    if (auto* v = take("color_coherence_image_path")) {
      std::string path = as_string("color_coherence_image_path", *v);
      if (im.generation()["color_coherence"] == "Image") im.generation()["color_coherence_image"] = path;
    }
    // Deforum's loader sets legacy_colormatch true for files without it (deprecation_utils.py), and
    // its Colab notebook (the deforum-kandinsky flavour) matches only before noising.
    if (auto* v = take("legacy_colormatch")) im.generation()["legacy_colormatch"] = as_bool("legacy_colormatch", *v);
    else im.generation()["legacy_colormatch"] = true;
    if (auto* v = take("color_force_grayscale")) im.generation()["color_force_grayscale"] = as_bool("color_force_grayscale", *v);
    if (auto* v = take("diffusion_cadence")) im.generation()["cadence"] = std::clamp(as_int("diffusion_cadence", *v), 1, 50);
    if (auto* v = take("optical_flow_cadence")) {
      const std::string method = as_string("optical_flow_cadence", *v);
      const auto& names = setting_names<OpticalFlowCadence>();
      if (std::find(names.begin(), names.end(), method) != names.end()) {
        im.generation()["optical_flow_cadence"] = method;
      } else if (method == "RAFT") {
        im.warn("optical_flow_cadence", "\"RAFT\" is not available (it needs a network): using \"DIS Fine\"");
        im.generation()["optical_flow_cadence"] = "DIS Fine";
      } else {
        im.warn("optical_flow_cadence", "\"" + method + "\" is not one of None, DIS Medium, DIS Fine, Farneback, RAFT: no flow");
      }
    }
    im.only_value("optical_flow_redo_generation", "None", "optical-flow redo is not implemented");
    im.only_value("diffusion_redo", "0", "redo generations are not implemented");

    // Motion.
    // Every schedule Deforum names as we do, from the one table (the rest is converted above).
    for (const auto& field : schedule_fields())
      if (const json* v = field.deforum_key ? im.take(field.deforum_key) : nullptr)
        field.section_in(im.out)[field.key] = schedule_text(field.deforum_key, *v);
    for (const char* key : {"enable_perspective_flip", "flip_2d_perspective"})
      if (auto* v = take(key)) im.motion()["enable_perspective_flip"] = as_bool(key, *v);
    // Deforum's 2D warp drops translation_x/y while the flip is on (spec 3.2): reproduced.
    im.motion()["flip_drops_translation"] = true;
    if (auto* v = take("fov")) im.motion()["fov"] = "0:(" + format_number(as_number("fov", *v)) + ")";
    if (auto* v = take("near_plane")) im.motion()["near"] = "0:(" + format_number(as_number("near_plane", *v)) + ")";
    if (auto* v = take("far_plane")) im.motion()["far"] = "0:(" + format_number(as_number("far_plane", *v)) + ")";
    if (auto* v = take("border")) {
      std::string b = as_string("border", *v);
      if (b == "replicate" || b == "wrap") im.motion()["border"] = b;
      else im.warn("border", "border \"" + b + "\" is not supported (replicate, wrap)");
    }
    if (auto* v = take("padding_mode")) im.motion()["padding_mode"] = as_string("padding_mode", *v);
    if (auto* v = take("sampling_mode")) im.motion()["sampling_mode"] = as_string("sampling_mode", *v);
    import_depth(im, take);

    import_prompts(im);
    import_output(im);

    // Everything else is reported, key by key.
    for (auto it = in.begin(); it != in.end(); ++it)
      if (!im.handled.count(it.key())) im.warn(it.key(), "not supported by k3anim; ignored");
  } catch (const ConfigError& e) {
    throw ConfigError(source + ": " + e.what());
  }
  std::sort(im.warnings.begin(), im.warnings.end(), [](const ImportWarning& a, const ImportWarning& b) { return a.key < b.key; });
  // Validate the result as any preset (reports e.g. a bad mode name with its path).
  // Image files are checked when the preset is rendered, not here.
  json check = im.out;
  check["init_image"] = "";
  check["generation"]["color_coherence_image"] = "";
  if (check.contains("output")) check["output"]["soundtrack"] = "";
  if (check["generation"]["color_coherence"] == "Image") check["generation"]["color_coherence"] = "None";
  if (check["motion"].value("depth_path", std::string("-")).empty()) {
    check["motion"]["depth_source"] = "none";
    check["motion"]["use_depth_warping"] = false;
  }
  parse_render_settings(check, source + " (converted)");
  return {im.out, im.warnings, flavor};
}

DeforumImport import_deforum_file(const std::string& path, DeforumFlavor flavor) {
  return import_deforum_settings(read_bounded_json_file(path), path, flavor);
}

}  // namespace k3::anim
