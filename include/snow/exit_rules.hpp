// snow/exit_rules.hpp: how an exit signal that comes through a link acts on a process.
//
// The runtime follows Erlang by default. The Snow language (SNOW_LANGUAGE.md §6.6, §6.7,
// §6.13) differs in three places, so the processes of a Snow program (snowc's spawn and
// spawn_link, services, remote spawns of Snow actors; not jobs, which run on snow::async
// and keep Erlang's rules) are spawned with ExitRules::snow, its supervisors have
// SupervisorSpec::exit_rules = snow, and a C++ program may ask for the same with
// SpawnOptions::exit_rules and SupervisorSpec::exit_rules:
//
//                          erlang (default)              snow
//   partner ends normal    not affected                  not affected
//   partner ends shutdown  ends with shutdown            not affected
//   partner ends abnormal  ends with the same reason     ends with linked(partner, reason)
//   supervisor past its    exits with shutdown           exits with
//   restart intensity                                    error(restart limit exceeded)
//
// "Abnormal" is every other reason: error, killed, a user reason, noproc (the partner did
// not exist when the link was made), noconnection (the partner's node was lost), and a
// linked reason, which is how a failure cascades: in a chain a <- b <- c of Snow
// processes, c ends with linked(b, linked(a, error(..))).
//
// What does not differ: a process that traps exits receives Exit{from, reason} with the
// partner's reason unchanged, whatever the reason; exit(pid, reason) (not through a link)
// acts as in Erlang under both (kill is untrappable, normal is ignored, any other reason
// ends a non-trapping target with that reason), which is also how a supervisor stops a
// child with shutdown. When a C++ process and a Snow process are linked, each end acts by
// its own rules: the rules of the process that receives the signal decide.
//
// ExitRules::snow_main is the rule of a Snow program's `main` process: as snow, except
// that nothing coming through a link ends it (§6.7: "main is not terminated by links");
// it still gets Exit messages once it traps exits.
#pragma once

#include <cstdint>

namespace snow {

enum class ExitRules : std::uint8_t { erlang, snow, snow_main };

}  // namespace snow
