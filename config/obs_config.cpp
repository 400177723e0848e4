#include "config/obs_config.hpp"

#include <nlohmann/json.hpp>

#include "config/schema_errors.hpp"

namespace paios {
namespace {

using nlohmann::json;
using config_errors::shown;

// "127.0.0.1:9477", "[::1]:9477", "localhost:9477", or "" (no endpoint). Port 0 picks a free one.
void check_http_endpoint(const json& obs, std::vector<std::string>& errors) {
  if (!obs.contains("http") || !obs["http"].is_object() || !obs["http"].contains("endpoint") ||
      !obs["http"]["endpoint"].is_string())
    return;
  auto e = obs["http"]["endpoint"].get<std::string>();
  if (e.empty()) return;
  const std::string where = "obs.http.endpoint";
  auto colon = e.rfind(':');
  auto host = colon == std::string::npos ? e : e.substr(0, colon);
  auto port = colon == std::string::npos ? std::string{} : e.substr(colon + 1);
  bool port_ok = !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos &&
                 std::stol(port) <= 65535;
  if (!port_ok) {
    errors.push_back(where + ": must be host:port with a port from 0 to 65535 (got " + shown(obs["http"]["endpoint"]) + ")");
    return;
  }
  if (host != "127.0.0.1" && host != "localhost" && host != "[::1]")
    errors.push_back(where + ": metrics and health are served on loopback only: 127.0.0.1, [::1] or localhost (got '" +
                     host + "')");
}

}  // namespace

obs_config read_obs_config(const json& obs) {
  obs_config c;
  c.synchronous_full = obs.at("synchronous") == "full";
  c.queue_capacity = obs.at("queue_capacity").get<std::size_t>();
  c.batch = obs.at("batch").get<std::size_t>();
  c.flush_ms = obs.at("flush_ms").get<std::int64_t>();
  c.retention_days = obs.at("retention_days").get<int>();
  c.max_mb = obs.at("max_mb").get<std::int64_t>();
  c.http_endpoint = obs.at("http").at("endpoint").get<std::string>();
  return c;
}

void check_obs_config(const json& obs, std::vector<std::string>& errors) {
  if (!obs.is_object()) return;  // the schema says so
  check_http_endpoint(obs, errors);
  if (obs.contains("batch") && obs.contains("queue_capacity") && obs["batch"].is_number_integer() &&
      obs["queue_capacity"].is_number_integer() && obs["batch"].get<std::int64_t>() > obs["queue_capacity"].get<std::int64_t>())
    errors.push_back("obs.batch: must be at most obs.queue_capacity (" + obs["queue_capacity"].dump() + "; got " +
                     obs["batch"].dump() + ")");
}

}  // namespace paios
