#include "messages/caf_types.hpp"

#include <caf/actor_system_config.hpp>

#include "messages/wire.hpp"

namespace paios {

void register_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<attachment>("paios::attachment");
  cfg.add_message_type<task_spec>("paios::task_spec");
  cfg.add_message_type<task_record>("paios::task_record");
  cfg.add_message_type<task_write>("paios::task_write");
  cfg.add_message_type<std::vector<task_write>>("std::vector<paios::task_write>");
  cfg.add_message_type<task_update>("paios::task_update");
  cfg.add_message_type<event_record>("paios::event_record");
  cfg.add_message_type<std::vector<event_record>>("std::vector<paios::event_record>");
  cfg.add_message_type<trace_id>("paios::trace_id");
  cfg.add_message_type<event_query>("paios::event_query");
  cfg.add_message_type<score_record>("paios::score_record");
  cfg.add_message_type<wire::request>("paios::wire::request");
  cfg.add_message_type<kb_request>("paios::kb_request");
  cfg.add_message_type<task_state>("paios::task_state");
  cfg.add_message_type<breaker_record>("paios::breaker_record");
  cfg.add_message_type<std::vector<breaker_record>>("std::vector<paios::breaker_record>");
  cfg.add_message_type<route_record>("paios::route_record");
  cfg.add_message_type<std::vector<route_record>>("std::vector<paios::route_record>");
  cfg.add_message_type<rule_weight>("paios::rule_weight");
  cfg.add_message_type<std::vector<rule_weight>>("std::vector<paios::rule_weight>");
}

}  // namespace paios
