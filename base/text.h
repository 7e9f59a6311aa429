#pragma once
// Text helpers every layer needs: ASCII lower-casing for case-insensitive names, and Levenshtein
// distance with the "did you mean" rule for hints on misspelt keys, schedule names and presets.
#include <cstddef>
#include <string>
#include <vector>

namespace k3 {

// ASCII letters lowered; other bytes (UTF-8 included) unchanged.
std::string lower(std::string text);

// Insertions, deletions and substitutions turning `a` into `b`; ASCII case ignored on request.
std::size_t edit_distance(const std::string& a, const std::string& b, bool ignore_case = false);

// The closest candidate (ASCII case ignored), or "" when none is close enough to be a likely typo:
// within max(2, key length / 3) edits.
std::string did_you_mean(const std::string& key, const std::vector<std::string>& candidates);

}  // namespace k3
