// Deforum settings import: every supported key mapped, exactly the unsupported ones reported.
#include "animation/render/deforum_import.h"
#include "animation/render/frame_params.h"
#include "animation/render/render_settings.h"
#include "animation/render/render_warnings.h"
#include "base/errors.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>

using namespace k3::anim;
using nlohmann::json;

namespace {
// A settings file in the A1111 extension's format (scripts/default_settings.txt key names):
// every motion and generation key we support, plus keys we do not.
json a1111_settings() {
  return json::parse(R"JSON({
    "W": 640, "H": 360, "seed": 42, "sampler": "Euler a", "steps": 30, "batch_name": "Deforum_{timestring}",
    "seed_behavior": "ladder", "seed_iter_N": 1, "use_init": false, "strength": 0.8, "strength_0_no_init": true,
    "init_image": "https://deforum.github.io/a1/I1.png", "tiling": false, "restore_faces": false,
    "animation_mode": "3D", "max_frames": 120, "border": "replicate",
    "angle": "0: (0)", "zoom": "0: (1.0025+0.002*sin(1.25*3.14*t/30))",
    "translation_x": "0: (0)", "translation_y": "0: (0)", "translation_z": "0: (1.75)",
    "transform_center_x": "0: (0.5)", "transform_center_y": "0: (0.5)",
    "rotation_3d_x": "0: (0)", "rotation_3d_y": "0: (0)", "rotation_3d_z": "0: (0)",
    "enable_perspective_flip": false, "perspective_flip_theta": "0: (0)", "perspective_flip_phi": "0: (0)",
    "perspective_flip_gamma": "0: (0)", "perspective_flip_fv": "0: (53)",
    "noise_schedule": "0: (0.065)", "strength_schedule": "0: (0.65), 60: (0.5)", "contrast_schedule": "0: (1.0)",
    "cfg_scale_schedule": "0: (7)", "enable_steps_scheduling": false, "steps_schedule": "0: (25)",
    "fov_schedule": "0: (70)", "aspect_ratio_schedule": "0: (1)", "aspect_ratio_use_old_formula": false,
    "near_schedule": "0: (200)", "far_schedule": "0: (10000)",
    "seed_schedule": "0:(s), 1:(-1), \"max_f-2\":(-1), \"max_f-1\":(s)",
    "enable_subseed_scheduling": false, "subseed_schedule": "0: (1)",
    "kernel_schedule": "0: (5)", "sigma_schedule": "0: (1)", "amount_schedule": "0: (0.1)", "threshold_schedule": "0: (0)",
    "color_coherence": "LAB", "color_coherence_image_path": "", "color_force_grayscale": false,
    "legacy_colormatch": false, "diffusion_cadence": 2, "optical_flow_cadence": "None",
    "noise_type": "perlin", "perlin_octaves": 4, "perlin_persistence": 0.5,
    "use_depth_warping": false, "padding_mode": "border", "sampling_mode": "bicubic",
    "fps": 15, "skip_video_creation": false,
    "prompts": {"0": "a tree --neg ugly", "60": "a lake"},
    "animation_prompts_positive": "masterpiece,", "animation_prompts_negative": "blurry",
    "sd_model_name": "v1-5", "deforum_git_commit_id": "abc"
  })JSON");
}
}  // namespace

TEST_CASE("strength schedules become denoise schedules", "[unit][render]") {
  CHECK(strength_to_denoise_schedule("0: (0.65), 60: (0.5)") == "0:(0.35), 60:(0.5)");
  CHECK(strength_to_denoise_schedule("0:(0.6+0.1*sin(t))") == "0:(1-(0.6+0.1*sin(t)))");
}

TEST_CASE("an A1111 settings file converts key by key and lists the unsupported keys", "[unit][render]") {
  auto result = import_deforum_settings(a1111_settings(), "deforum_settings.txt");
  const json& p = result.preset;
  INFO(p.dump(2));
  CHECK(result.flavor == DeforumFlavor::A1111);
  CHECK(p["width"] == 640);
  CHECK(p["height"] == 360);
  CHECK(p["frames"] == 120);
  CHECK(p["fps"] == 15.0);
  CHECK(p["animation_mode"] == "3D");
  CHECK(p["seed"]["seed"] == 42);
  CHECK(p["seed"]["behavior"] == "ladder");
  CHECK(p["generation"]["denoise"] == "0:(0.35), 60:(0.5)");
  CHECK(p["generation"]["guidance"] == "0:(6)");
  CHECK(p["generation"]["steps"] == "0:(30)");
  CHECK(p["generation"]["noise"] == "0: (0.065)");
  CHECK(p["generation"]["cadence"] == 2);
  CHECK(p["generation"]["anti_blur"]["amount"] == "0: (0.1)");
  CHECK(p["motion"]["translation_z"] == "0: (1.75)");
  CHECK(p["motion"]["zoom"] == "0: (1.0025+0.002*sin(1.25*3.14*t/30))");
  CHECK(p["motion"]["fov"] == "0: (70)");
  CHECK(p["prompts"]["0"] == "masterpiece, a tree --neg ugly");
  CHECK(p["negative_prompt"] == "blurry");
  CHECK(p["init_image"] == "");  // use_init false

  std::set<std::string> reported;
  for (const auto& w : result.warnings) reported.insert(w.key);
  std::set<std::string> expected = {"sampler", "tiling", "restore_faces", "aspect_ratio_schedule",
                                    "aspect_ratio_use_old_formula", "enable_subseed_scheduling", "subseed_schedule",
                                    "sd_model_name", "deforum_git_commit_id"};
  CHECK(reported == expected);
  // The converted preset is a valid preset.
  CHECK_NOTHROW(parse_render_settings(p, "converted.json"));
}

TEST_CASE("deforum-kandinsky settings keep strength as denoise", "[unit][render]") {
  json dk = {{"W", 640}, {"H", 640}, {"prior_seed", -1}, {"strength_schedule", "0:(0.12), 96:(0.15)"},
             {"flip_2d_perspective", true}, {"fov", 40}, {"near_plane", 200}, {"far_plane", 10000}, {"midas_weight", 0.3}};
  auto result = import_deforum_settings(dk, "dk.json");
  CHECK(result.flavor == DeforumFlavor::DeforumKandinsky);
  CHECK(result.preset["generation"]["denoise"] == "0:(0.12), 96:(0.15)");
  CHECK(result.preset["motion"]["enable_perspective_flip"] == true);
  CHECK(result.preset["motion"]["fov"] == "0:(40)");
  std::set<std::string> reported;
  for (const auto& w : result.warnings) reported.insert(w.key);
  // midas_weight only blends with AdaBins under depth warping, which is off here: no effect in either.
  CHECK(reported == std::set<std::string>{"prior_seed"});
}

TEST_CASE("Deforum depth keys choose the depth source, AdaBins and other models are reported", "[unit][render]") {
  auto reasons = [](const DeforumImport& result) {
    std::map<std::string, std::string> out;
    for (const auto& w : result.warnings) out[w.key] += w.reason;
    return out;
  };
  json midas = {{"animation_mode", "3D"}, {"use_depth_warping", true}, {"depth_algorithm", "Midas-3-Hybrid"},
                {"midas_weight", 0.2}, {"save_depth_maps", true}};
  // midas_weight alone would make the automatic guess deforum-kandinsky (whose weight blends).
  auto result = import_deforum_settings(midas, "a1111.txt", DeforumFlavor::A1111);
  CHECK(result.preset["motion"]["depth_source"] == "midas-3");
  CHECK(result.preset["motion"]["use_depth_warping"] == true);
  CHECK(result.preset["motion"]["save_depth_maps"] == true);
  auto w = reasons(result);
  CHECK(w.count("use_depth_warping"));  // the model folder must be named
  CHECK(w.count("midas_weight") == 0);  // Midas-3-Hybrid never blends
  // The model folder named, the preset renders as is.
  json preset = result.preset;
  preset["motion"]["depth_path"] = "/some/dpt-large";
  auto settings = parse_render_settings(preset, "p.json");
  CHECK(settings.motion.depth_source == DepthSource::Midas3);
  CHECK(settings.motion.depth_path == "/some/dpt-large");

  midas["depth_algorithm"] = "Midas+AdaBins (old)";
  w = reasons(import_deforum_settings(midas, "a1111.txt", DeforumFlavor::A1111));
  CHECK_THAT(w["depth_algorithm"], Catch::Contains("AdaBins"));
  CHECK_THAT(w["midas_weight"], Catch::Contains("AdaBins is out of scope"));

  midas["depth_algorithm"] = "Depth-Anything-V2-Small";
  CHECK(import_deforum_settings(midas, "forge.txt").preset["motion"]["depth_source"] == "depth-anything-v2");

  midas["depth_algorithm"] = "Zoe";
  result = import_deforum_settings(midas, "a1111.txt");
  CHECK(result.preset["motion"]["use_depth_warping"] == false);
  CHECK(result.preset["motion"].value("depth_source", std::string("none")) == "none");
  CHECK_THAT(reasons(result)["depth_algorithm"], Catch::Contains("flat depth"));
}

TEST_CASE("preset depth keys: a source needs a path, use_depth_warping must agree", "[unit][render]") {
  json p = {{"animation_mode", "3D"}, {"motion", {{"depth_source", "images"}}}};
  CHECK_THROWS_WITH(parse_render_settings(p, "p.json"), Catch::Contains("depth_path"));
  p["motion"]["depth_path"] = "depth";
  auto s = parse_render_settings(p, "p.json", "/presets");
  CHECK(s.motion.use_depth_warping);
  CHECK(s.motion.depth_path == "/presets/depth");
  p["motion"]["use_depth_warping"] = false;
  CHECK_THROWS_WITH(parse_render_settings(p, "p.json"), Catch::Contains("use_depth_warping"));
  json flat = {{"motion", {{"use_depth_warping", true}}}};
  CHECK_THROWS_WITH(parse_render_settings(flat, "p.json"), Catch::Contains("depth_source"));
  CHECK_THROWS(parse_render_settings(json{{"motion", {{"depth_source", "zoe"}}}}, "p.json"));
  // A model source without its folder (a Deforum import) parses, and the render says it is flat.
  json unnamed = {{"animation_mode", "3D"}, {"motion", {{"depth_source", "midas-3"}}}};
  auto model_settings = parse_render_settings(unnamed, "p.json");
  const auto warnings = render_warnings(model_settings, evaluate_frame_params(model_settings, 1, "p.json"), 0);
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings.front(), Catch::Contains("motion.depth_path") && Catch::Contains("flat depth"));
}

TEST_CASE("a supported key with a value of the wrong type names the key", "[unit][render]") {
  json bad = {{"W", "wide"}};
  try {
    import_deforum_settings(bad, "bad.txt");
    FAIL("no error");
  } catch (const k3::ConfigError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("W: expected a number"));
  }
}

TEST_CASE("legacy_colormatch imports as given, and as true when the file lacks it, as Deforum loads it", "[unit][render]") {
  CHECK(import_deforum_settings(json{{"legacy_colormatch", false}}, "new.txt").preset["generation"]["legacy_colormatch"] == false);
  CHECK(import_deforum_settings(json{{"legacy_colormatch", "True"}}, "new.txt").preset["generation"]["legacy_colormatch"] == true);
  CHECK(import_deforum_settings(json{{"W", 512}}, "old.txt").preset["generation"]["legacy_colormatch"] == true);
  const auto dk = import_deforum_settings(json{{"W", 512}, {"strength_schedule", "0: (0.2)"}}, "dk.txt",
                                          DeforumFlavor::DeforumKandinsky);
  CHECK(dk.preset["generation"]["legacy_colormatch"] == true);
  CHECK(import_deforum_settings(json{{"color_force_grayscale", "True"}}, "grey.txt").preset["generation"]["color_force_grayscale"] == true);
}

TEST_CASE("optical-flow cadence imports with its method and factor schedule, RAFT as DIS Fine with a warning", "[unit][render]") {
  for (const std::string method : {"DIS Medium", "DIS Fine", "Farneback", "None"}) {
    const auto result = import_deforum_settings(
        json{{"optical_flow_cadence", method}, {"cadence_flow_factor_schedule", "0: (1), 10: (2)"}}, "flow.txt");
    CHECK(result.preset["generation"]["optical_flow_cadence"] == method);
    CHECK(result.preset["generation"]["cadence_flow_factor"] == "0: (1), 10: (2)");
    for (const auto& w : result.warnings) CHECK(w.key != "optical_flow_cadence");
  }
  const auto raft = import_deforum_settings(json{{"optical_flow_cadence", "RAFT"}}, "flow.txt");
  CHECK(raft.preset["generation"]["optical_flow_cadence"] == "DIS Fine");
  bool warned = false;
  for (const auto& w : raft.warnings) warned = warned || (w.key == "optical_flow_cadence" && w.reason.find("RAFT") != std::string::npos);
  CHECK(warned);
  const auto unknown = import_deforum_settings(json{{"optical_flow_cadence", "Lucas"}}, "flow.txt");
  CHECK(unknown.preset["generation"]["optical_flow_cadence"] == "None");
  warned = false;
  for (const auto& w : unknown.warnings) warned = warned || (w.key == "optical_flow_cadence" && w.reason.find("Lucas") != std::string::npos);
  CHECK(warned);
}

TEST_CASE("whole numbers beyond an int and huge seeds are refused by key, not cast", "[unit][render]") {
  // Found by fuzz_deforum_import: "H": 6.4e+100 was cast to int (undefined behaviour).
  for (const auto& [key, value] : std::vector<std::pair<std::string, json>>{
           {"H", 6.4e100}, {"W", "-1e12"}, {"max_frames", 3e9}, {"seed_iter_N", 1e300}, {"perlin_octaves", -3e9},
           {"diffusion_cadence", 2147483648.0}, {"frame_interpolation_x_amount", 1e19}, {"seed", 1e30}}) {
    json bad = {{key, value}};
    try {
      import_deforum_settings(bad, "huge.txt");
      FAIL("no error for " << key);
    } catch (const k3::ConfigError& e) {
      INFO(e.what());
      CHECK_THAT(std::string(e.what()), Catch::StartsWith("huge.txt: " + key + ": expected"));
    }
  }
  // In range, as before: a negative seed is random, others keep their low 32 bits.
  CHECK(import_deforum_settings(json{{"seed", -5}}, "ok.txt").preset["seed"]["seed"] == -1);
  CHECK(import_deforum_settings(json{{"seed", 4294967298.0}}, "ok.txt").preset["seed"]["seed"] == 2);
  // Within an int but beyond a preset's sizes: the preset check names the setting.
  CHECK_THROWS_WITH(import_deforum_settings(json{{"H", 2147483647.0}}, "big.txt"), Catch::Contains("height"));
}

namespace {
std::set<std::string> warned_keys(const DeforumImport& result) {
  std::set<std::string> keys;
  for (const auto& w : result.warnings) keys.insert(w.key);
  return keys;
}
}  // namespace

// Files of the same form as the A1111 extension's default_settings.txt (init_image null,
// diffusion_redo "0", every output key) and its tests' settings file (init_image "None",
// diffusion_redo 0): both import, list only keys the file has, and read the output keys.
TEST_CASE("files of the form of Deforum's default and test settings import", "[unit][render]") {
  for (const char* name : {"deforum-defaults-form.json", "deforum-testsettings-form.json"}) {
    INFO(name);
    const std::string path = k3::test::source_dir() + "/tests/animation/data/" + name;
    json file = json::parse(std::ifstream(path));
    DeforumImport result = import_deforum_file(path);
    std::set<std::string> warned = warned_keys(result);
    for (const auto& key : warned) CHECK(file.contains(key));
    for (const std::string quiet : {"init_image", "soundtrack_path", "add_soundtrack", "frame_interpolation_engine",
                              "frame_interpolation_x_amount", "frame_interpolation_keep_imgs", "diffusion_redo",
                              "skip_video_creation", "make_gif", "delete_imgs", "strength_0_no_init", "seed"})
      CHECK_FALSE(warned.count(quiet));
    for (const std::string listed : {"sampler", "tiling", "cn_1_enabled", "hybrid_motion", "fill", "init_images", "reroll_patience"})
      CHECK(warned.count(listed) == 1);
    CHECK(result.preset["init_image"] == "");
    CHECK(result.preset["output"]["interpolate"] == 1);
    CHECK(result.preset["output"]["soundtrack"] == "");
    CHECK(result.preset["prompts"]["30"].get<std::string>().find("storm") != std::string::npos);
    CHECK_NOTHROW(parse_render_settings(result.preset, name));
  }
}

TEST_CASE("null is accepted wherever Deforum writes it, unsupported null keys are still listed", "[unit][render]") {
  json settings = {{"W", 512},
                   {"init_image", nullptr},
                   {"use_init", true},
                   {"seed", nullptr},
                   {"strength_schedule", nullptr},
                   {"soundtrack_path", nullptr},
                   {"add_soundtrack", "File"},
                   {"prompts", nullptr},
                   {"color_coherence_image_path", nullptr},
                   {"mask_file", nullptr}};
  DeforumImport result = import_deforum_settings(settings, "nulls.txt");
  INFO(result.preset.dump(2));
  CHECK(result.preset["init_image"] == "");
  CHECK(result.preset["output"]["soundtrack"] == "");
  CHECK(warned_keys(result) == std::set<std::string>{"mask_file"});
}

TEST_CASE("Deforum's soundtrack and frame interpolation keys map to the output section", "[unit][render]") {
  json settings = {{"add_soundtrack", "File"},
                   {"soundtrack_path", "music/track.wav"},
                   {"frame_interpolation_engine", "FILM"},
                   {"frame_interpolation_x_amount", 3},
                   {"frame_interpolation_keep_imgs", false},
                   {"skip_video_creation", false}};
  DeforumImport result = import_deforum_settings(settings, "sound.txt");
  CHECK(result.preset["output"]["soundtrack"] == "music/track.wav");
  CHECK(result.preset["output"]["interpolate"] == 3);
  CHECK(result.preset["output"]["write_video"] == true);
  CHECK(warned_keys(result) == std::set<std::string>{"frame_interpolation_engine"});

  settings["soundtrack_path"] = "https://example.com/a.mp3";
  settings["frame_interpolation_engine"] = "None";
  settings["frame_interpolation_slow_mo_enabled"] = true;  // no effect with the engine off
  result = import_deforum_settings(settings, "sound.txt");
  CHECK(result.preset["output"]["interpolate"] == 1);
  CHECK(warned_keys(result) == std::set<std::string>{"soundtrack_path"});

  settings["add_soundtrack"] = "Init Video";
  CHECK(warned_keys(import_deforum_settings(settings, "sound.txt")).count("add_soundtrack") == 1);
}

TEST_CASE("Deforum's numbers written as strings and bools compare by meaning", "[unit][render]") {
  json settings = {{"diffusion_redo", 0}, {"legacy_colormatch", "False"}, {"perlin_w", 8.0}, {"optical_flow_cadence", "None"}};
  CHECK(import_deforum_settings(settings, "types.txt").warnings.empty());
  settings["diffusion_redo"] = "2";
  CHECK(warned_keys(import_deforum_settings(settings, "types.txt")) == std::set<std::string>{"diffusion_redo"});
}
