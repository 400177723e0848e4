#pragma once
// names: how actors find each other. The registry names of the daemon's well-known actors, the names of the
// children that supervisors start per brain and per MCP server, and the lookup itself. One header, so that an
// actor that talks to another needs only this, not the other's spawn header.
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>

namespace paios {

// Registry names of the daemon's well-known actors (CAF's registry is keyed by atom).
using root_name = caf::atom_constant<caf::atom("root")>;
using store_name = caf::atom_constant<caf::atom("statestore")>;
using brains_name = caf::atom_constant<caf::atom("brains")>;
using dispatch_name = caf::atom_constant<caf::atom("dispatch")>;
using bridge_name = caf::atom_constant<caf::atom("bridge")>;
using obs_name = caf::atom_constant<caf::atom("obsstore")>;
using http_name = caf::atom_constant<caf::atom("http")>;
using kb_name = caf::atom_constant<caf::atom("kbstore")>;
using hooks_name = caf::atom_constant<caf::atom("hooks")>;
using mcp_name = caf::atom_constant<caf::atom("mcp")>;            // the supervisor of the MCP clients
using sched_name = caf::atom_constant<caf::atom("scheduler")>;
using notifier_name = caf::atom_constant<caf::atom("notifier")>;
using watch_name = caf::atom_constant<caf::atom("watchers")>;   // the watchers' manager
using pipes_name = caf::atom_constant<caf::atom("pipelines")>;
using autonomy_name = caf::atom_constant<caf::atom("autonomy")>;  // the tool-call gate (actors/autonomy)
using alerts_name = caf::atom_constant<caf::atom("alerts")>;      // the alerts actor (actors/alerts)
using config_name = caf::atom_constant<caf::atom("config")>;      // the configuration's reloader (actors/config)
// Every name above: at shutdown each is erased from the registry, which would otherwise keep its actor alive.
inline constexpr caf::atom_value well_known_names[] = {root_name::value,     store_name::value, brains_name::value,
                                                       dispatch_name::value, bridge_name::value, obs_name::value,
                                                       http_name::value,     kb_name::value,    hooks_name::value,
                                                       mcp_name::value,      sched_name::value, notifier_name::value,
                                                       pipes_name::value,    watch_name::value, autonomy_name::value,
                                                       alerts_name::value,   config_name::value};

// A brain's child name under the brains supervisor ("brain:NAME"), and its tasks' keys ("brain:NAME/ID").
inline std::string brain_child_name(const std::string& brain) { return "brain:" + brain; }
// An MCP server's child name under the MCP supervisor ("mcp:NAME").
inline std::string mcp_child_name(const std::string& server) { return "mcp:" + server; }

// The actor registered under `name` (one of the well-known names above), looked up at each use: a restarted
// child registers its new handle under the same name. Empty when nothing is registered.
caf::actor registered(caf::local_actor* self, caf::atom_value name);

// The same, as the typed handle of the actor's interface (declared at the top of its header, e.g.
// state_store_actor for store_name): requests through it are checked against that interface at compile time.
// The name and the handle must belong together; the registry itself is untyped.
template <class Handle>
Handle registered_as(caf::local_actor* self, caf::atom_value name) {
  return caf::actor_cast<Handle>(registered(self, name));
}

}  // namespace paios
