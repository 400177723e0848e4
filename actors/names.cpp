#include "actors/names.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_registry.hpp>
#include <caf/local_actor.hpp>

namespace paios {

caf::actor registered(caf::local_actor* self, caf::atom_value name) {
  return self->system().registry().get<caf::actor>(name);
}

}  // namespace paios
