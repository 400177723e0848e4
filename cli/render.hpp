#pragma once
// How `ai` shows the daemon's replies to a person. Pure functions of the reply JSON (docs/protocol.md).
#include <string>

#include <nlohmann/json.hpp>

namespace paios {

std::string render_status(const nlohmann::json& reply);
std::string render_tasks(const nlohmann::json& reply);
std::string render_task(const nlohmann::json& reply);
std::string render_cancel(const nlohmann::json& reply);
std::string render_route(const nlohmann::json& reply);
std::string render_routes(const nlohmann::json& reply);
std::string render_weights(const nlohmann::json& reply);
std::string human_duration(std::int64_t ms);

}  // namespace paios
