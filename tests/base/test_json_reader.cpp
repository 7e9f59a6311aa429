// The one JSON object reader (base/json_reader.h): both problem modes, one wording.
#include "base/errors.h"
#include "base/json_reader.h"

#include <catch2/catch.hpp>

using nlohmann::json;

TEST_CASE("JsonReader collects every problem of a file with its JSON path", "[unit]") {
  const json preset = {{"width", 12}, {"fps", "fast"}, {"mode", "2d"}, {"heigth", 5},
                       {"motion", {{"zoom", 1.0}, {"angel", 2}}}};
  std::vector<k3::JsonProblem> problems;
  k3::JsonReader reader(preset, "p.json", "", &problems);
  int width = 512;
  double fps = 12;
  std::string mode = "3D";
  reader.read("width", width, 64, 4096);
  reader.read("fps", fps, 0.1, 240);
  reader.read_choice("mode", mode, {"2D", "3D"});
  reader.ignore("height");
  reader.read_object("motion", [](k3::JsonReader& motion) {
    double zoom = 0;
    motion.read("zoom", zoom, 0, 10);
    motion.ignore("angle");
  });
  reader.finish();
  CHECK(width == 512);  // out of range: left unchanged
  CHECK(mode == "2D");  // case-insensitive, stored in the choice's spelling
  REQUIRE(problems.size() == 4);
  CHECK(problems[0].path == "width");
  CHECK(problems[0].message == "expected an integer in [64, 4096], got 12");
  CHECK(problems[1].message == "expected a number, got the string \"fast\"");
  CHECK(problems[2].path == "motion.angel");
  CHECK(problems[2].message == "unknown key (did you mean \"angle\"?)");
  CHECK(problems[3].message == "unknown key (did you mean \"height\"?)");
  CHECK_THROWS_WITH(k3::throw_json_problems("p.json", problems),
                    Catch::StartsWith("p.json: 4 problems\n  width: expected an integer"));
}

TEST_CASE("JsonReader throws at the first problem of a model config", "[unit]") {
  const json config = {{"groups", 2.0}, {"eps", nullptr}, {"_diffusers_version", "0.27"}, {"future", 1},
                       {"channels", {16, 24}}, {"bad_list", {16, "x"}}};
  k3::JsonReader reader(config, "unet/config.json");
  CHECK(reader.required_int("groups") == 2);  // an integral float is an integer
  CHECK(reader.optional_double("eps", 1e-6) == 1e-6);  // null means "not given"
  CHECK(reader.required_int_list("channels") == std::vector<int64_t>{16, 24});
  CHECK_THROWS_WITH(reader.required_int("layers"), "unet/config.json: layers: expected an integer, got no such key");
  CHECK_THROWS_AS(reader.required_int_list("bad_list"), k3::ConfigError);
  CHECK_THROWS_WITH(reader.optional_bool("future", false),
                    "unet/config.json: future: expected true or false, got the number 1");
  reader.ignore("bad_list");
  // Bookkeeping keys aside, what nobody read is a warning (newer diffusers add keys).
  k3::JsonReader fresh(config, "unet/config.json");
  fresh.ignore({"groups", "eps", "channels", "bad_list"});
  CHECK(fresh.unknown_key_warnings() == std::vector<std::string>{"unet/config.json: future: unknown key, ignored"});
  CHECK_THROWS_WITH(k3::JsonReader(json::array(), "x.json"), "x.json: expected a JSON object, got an array");
}
