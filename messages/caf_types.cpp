#include "messages/caf_types.hpp"

#include <caf/actor_system_config.hpp>

#include "messages/wire.hpp"

namespace paios {

void register_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<attachment>("paios::attachment");
  cfg.add_message_type<task_spec>("paios::task_spec");
  cfg.add_message_type<task_record>("paios::task_record");
  cfg.add_message_type<task_update>("paios::task_update");
  cfg.add_message_type<event_record>("paios::event_record");
  cfg.add_message_type<wire::request>("paios::wire::request");
  cfg.add_message_type<task_state>("paios::task_state");
}

}  // namespace paios
