#pragma once
// Levenshtein distance for "did you mean" hints (schedule names, preset keys).
#include <cstddef>
#include <string>

namespace k3::sched {

// Insertions, deletions and substitutions turning `a` into `b`; ASCII case ignored on request.
std::size_t edit_distance(const std::string& a, const std::string& b, bool ignore_case = false);

}  // namespace k3::sched
