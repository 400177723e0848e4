#pragma once
// What the schema cannot say, or cannot say with a path: names, references between keys, the fields that
// belong to one kind of brain. Internal to config/.
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace paios {

// Appends an error "path: message" for each such mistake in the merged document. Runs on documents the schema
// refused too (every value is type-checked first), so that one run reports every mistake.
void check_meaning(const nlohmann::json& doc, std::vector<std::string>& errors);

}  // namespace paios
