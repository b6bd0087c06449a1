// snow/fwd.hpp: the names of snow's public types, declared and not defined.
//
// For a header of yours that only names snow's types (a function taking a `snow::Self`,
// a struct holding a `snow::Pid`), include this instead of the header that defines them:
// it pulls in nothing, so your header stays cheap to include. The source file that uses
// the types includes their own headers (the comment beside each names it).
//
//     // counter.hpp
//     #include "snow/fwd.hpp"
//     snow::Proc counter(snow::Self self, std::int64_t start);
//
//     // counter.cpp
//     #include "counter.hpp"
//     #include "snow/actor.hpp"
//
// Task's default arguments (`Task<>` is `Task<void, ProcessFrames>`) come with it, from
// snow/detail/task_fwd.hpp, which snow/proc.hpp (defining Task) includes too.
#pragma once

#include "snow/detail/task_fwd.hpp"  // Task, ProcessFrames

namespace snow {

// Identities and values (snow/pid.hpp, snow/term.hpp).
class Pid;
class Ref;
template <class Msg>
class TypedPid;
class Atom;
struct Unit;
class Term;

// Processes (snow/proc.hpp, snow/actor.hpp, snow/runtime.hpp, snow/scoped_actor.hpp,
// snow/mailbox.hpp).
class Proc;
// Task<T = void, Frames = ProcessFrames> and ProcessFrames: included above.
class Self;
class Runtime;
struct RuntimeOptions;
class ScopedActor;
struct SpawnOptions;

// Messages and signals (snow/message.hpp, snow/exit_reason.hpp, snow/monitor.hpp,
// snow/link.hpp, snow/timer.hpp).
class Message;
class ExitReason;
struct Down;
struct Exit;
class TimerRef;

// Services, jobs, supervisors (snow/service.hpp, snow/reply.hpp, snow/job.hpp,
// snow/supervisor.hpp).
template <class Impl>
class Service;
template <class R>
class ReplyTo;
template <class T>
class Job;
struct ChildSpec;
struct SupervisorSpec;

// Nodes (snow/node.hpp).
class Node;
struct NodeOptions;
struct NodeUp;
struct NodeDown;

// Logs (snow/log.hpp).
struct LogRecord;
class LogSink;

// Wire types (snow/wire.hpp).
template <class T>
struct Wire;

}  // namespace snow
