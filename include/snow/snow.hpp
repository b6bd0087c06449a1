// snow/snow.hpp: everything, for applications and examples. Library code includes the
// one header per concept it needs instead.
#pragma once

#include "snow/actor.hpp"
#include "snow/exit_reason.hpp"
#include "snow/job.hpp"
#include "snow/link.hpp"
#include "snow/log.hpp"
#include "snow/message.hpp"
#include "snow/monitor.hpp"
#include "snow/node.hpp"
#include "snow/pid.hpp"
#include "snow/proc.hpp"
#include "snow/receive.hpp"
#include "snow/runtime.hpp"
#include "snow/scoped_actor.hpp"
#include "snow/service.hpp"
#include "snow/status.hpp"
#include "snow/supervisor.hpp"
#include "snow/term.hpp"
#include "snow/timer.hpp"
#include "snow/wire.hpp"
