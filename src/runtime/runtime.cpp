// src/runtime/runtime.cpp: the public Runtime and the detail API its templates call.
#include <atomic>
#include <random>
#include <stdexcept>
#include <thread>

#include "absl/strings/str_cat.h"
#include "snow/runtime.hpp"
#include "src/runtime/runtime_core.hpp"

namespace snow {
namespace detail {

namespace {
int default_workers(const RuntimeOptions& o) {
  if (o.deterministic) return 0;
  if (o.workers > 0) return o.workers;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}
}  // namespace

std::uint32_t fresh_creation() {
  static std::atomic<std::uint32_t> last{0};
  const auto now = static_cast<std::uint32_t>(absl::ToUnixMillis(absl::Now()));
  std::uint32_t prev = last.load(std::memory_order_relaxed);
  for (;;) {
    // Compared as a difference, so the order holds across the 32-bit wrap.
    std::uint32_t next = static_cast<std::int32_t>(now - prev) > 0 ? now : prev + 1;
    if (next == 0) next = 1;
    if (last.compare_exchange_weak(prev, next, std::memory_order_relaxed)) return next;
  }
}

RuntimeCore::RuntimeCore(Runtime& owner, RuntimeOptions opts)
    : owner(owner),
      options(std::move(opts)),
      timers(*this, options.deterministic),
      scheduler(*this, default_workers(options), options.deterministic) {
  SNOW_CHECK(options.budget > 0, "RuntimeOptions::budget must be positive");
  if (options.creation != 0) {
    creation_ = options.creation;
  } else if (!options.deterministic) {
    creation_ = fresh_creation();
  }
  timers.start();
  scheduler.start();
}

RuntimeCore::~RuntimeCore() { stop(); }

void RuntimeCore::stop() {
  if (stopping_.exchange(true, std::memory_order_acq_rel)) return;
  if (node) node->stop();
  timers.stop();
  scheduler.stop();
  // Single-threaded from here. End every process without telling anyone (sends are
  // dropped while stopping): first destroy all frames, so destructors in process bodies
  // run while every process still exists, then drop the table's references.
  std::vector<ProcessRef> all = table.snapshot();
  for (ProcessRef& p : all) {
    if (p->is_host()) continue;  // its ScopedActor ends it
    p->state.store(RunState::exited);
    for (MessageNode* n = p->intake.close(); n;) {
      MessageNode* next = n->next;
      destroy(n);
      n = next;
    }
    if (p->root) std::exchange(p->root, {}).destroy();
    p->body.reset();
    p->queue.clear();
    p->drop_send_cache();
    forget_mutes(p.get());
  }
  for (ProcessRef& p : all) {
    if (p->is_host()) continue;
    const ProcessKind kind = kind_of(*p.get());
    table.remove(p.get());
    on_process_ended(kind);
  }
}

void RuntimeCore::log(LogLevel level, std::string_view text) const { log(level, "runtime", Pid(), text); }

void RuntimeCore::log(LogLevel level, std::string_view kind, Pid pid, std::string_view text) const {
  if (options.log_level && level < *options.log_level) return;
  const auto index = static_cast<std::size_t>(level);
  if (index < obs.log_messages.size()) obs.log_messages[index].fetch_add(1, std::memory_order_relaxed);
  std::string node;
  {
    std::lock_guard lock(log_node_mu_);
    node = log_node_;
  }
  const LogRecord record{.time = timers.now(), .level = level, .node = node, .pid = pid, .kind = kind, .text = text};
  if (options.log_sink) {
    options.log_sink(record);
  } else if (options.log_level) {
    stderr_log_sink_from(*options.log_level)(record);  // below log_level returned above: every line
  } else {
    stderr_log_sink(record);
  }
}

void RuntimeCore::set_log_node(std::string name) {
  std::lock_guard lock(log_node_mu_);
  log_node_ = std::move(name);
}

RuntimeCore::ProcessKind RuntimeCore::kind_of(const Process& p) {
  return p.is_host() ? ProcessKind::host : p.system ? ProcessKind::system : ProcessKind::normal;
}

void RuntimeCore::on_process_started(ProcessKind kind) {
  switch (kind) {
    case ProcessKind::normal:
      spawned.fetch_add(1, std::memory_order_relaxed);
      live_processes.fetch_add(1, std::memory_order_relaxed);
      break;
    case ProcessKind::host: live_hosts.fetch_add(1, std::memory_order_relaxed); break;
    case ProcessKind::system: live_system.fetch_add(1, std::memory_order_relaxed); break;
  }
}

void RuntimeCore::on_process_ended(ProcessKind kind) {
  if (kind == ProcessKind::host) {
    live_hosts.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  if (kind == ProcessKind::system) {
    live_system.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  if (live_processes.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    std::lock_guard lock(join_mu);
    join_cv.notify_all();
  }
}

// -- the detail API --

Pid pid_of(const Process* p) noexcept { return p->pid; }
RuntimeCore& core_of(const Process* p) noexcept { return p->core; }
Runtime& runtime_of(const RuntimeCore& core) noexcept { return core.owner; }
absl::Time now(const RuntimeCore& core) noexcept { return core.timers.now(); }

void send(RuntimeCore& core, Pid to, MessageNode* node) noexcept { deliver(core, to, node); }
void send_from(Process* from, Pid to, MessageNode* node) noexcept { deliver_from(from, to, node); }

absl::Status try_send(RuntimeCore& core, Process* from, Pid to, MessageNode* node) noexcept {
  if (!to.is_local() && !to.is_null()) [[unlikely]] {
    // A host thread waits for the far node's answer (src/runtime/acked_send.cpp). A
    // process cannot wait here (it would hold its worker; Self::send_acked waits as a
    // receive does), nor can the host thread of a deterministic runtime (its network runs
    // on that very thread): they get the refusals this node makes itself (the peer's
    // limits, a type declared differently there), which a plain send's Delivery cannot carry.
    if (from == nullptr && !core.options.deterministic) {
      return send_acked_blocking(core, to, node, kDefaultAckTimeout, false);
    }
    if (RemoteRouter* router = core.router.load(std::memory_order_acquire); router != nullptr && !core.stopping()) {
      if (from != nullptr) --from->budget;  // a send is a reduction, as in deliver_from
      return router->try_route(from != nullptr ? from->pid : Pid(), to, node);
    }
  }
  switch (from ? deliver_from(from, to, node) : deliver(core, to, node)) {
    case Delivery::delivered: return absl::OkStatus();
    case Delivery::dead: return absl::NotFoundError(absl::StrCat("no process ", to.to_string()));
    case Delivery::full: return absl::ResourceExhaustedError(absl::StrCat("the mailbox of ", to.to_string(), " is full"));
  }
  return absl::InternalError("unreachable");
}

void send_named(RuntimeCore& core, std::string_view name, MessageNode* node) noexcept {
  if (auto pid = core.registry.whereis(name)) {
    deliver(core, *pid, node);
  } else {
    core.obs.dead_no_name.fetch_add(1, std::memory_order_relaxed);
    destroy(node);
  }
}

void send_named_remote(RuntimeCore& core, Pid from, std::string_view name, std::string_view node_name,
                       std::string encoded) noexcept {
  RemoteRouter* router = core.router.load(std::memory_order_acquire);
  if (router == nullptr || core.stopping()) {
    if (router == nullptr) core.obs.dead_not_a_node.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  router->route_named(from, name, node_name, std::move(encoded));
}

void fail_not_wire(Pid to, const std::type_info& type) {
  throw std::invalid_argument(absl::StrCat(
      "cannot send ", demangle(type), " to ", to.to_string(),
      " on another node: it is not a wire type (declare it with SNOW_WIRE or SNOW_WIRE_SUM)"));
}

void throw_encode_error(const absl::Status& status) { throw std::invalid_argument(std::string(status.message())); }

std::uint64_t send_after(RuntimeCore& core, absl::Duration delay, Pid to, MessageNode* node) {
  const std::uint64_t id = core.timers.reserve_id();
  core.timers.arm(id, core.timers.now() + delay, to, node);
  return id;
}

Spawned spawn(RuntimeCore& core, Process* parent, SpawnRelation relation, std::unique_ptr<Body> body,
              const SpawnOptions& options, bool system) {
  SNOW_CHECK(parent != nullptr || relation == SpawnRelation::none,
             "spawn_link and spawn_monitor need a parent process");
  if (core.stopping()) return {};
  auto* p = new Process(core, core.local_pid(core.table.next_serial()));
  p->capacity = options.mailbox_capacity;
  p->exit_rules = options.exit_rules;
  p->system = system;
  p->body = std::move(body);
  last_proc_frame_bytes = 0;
  p->root = p->body->start(Self(p)).release();
  p->resume_point = p->root;
  p->body_bytes.store(p->body->footprint() + last_proc_frame_bytes, std::memory_order_relaxed);
  Spawned result{p->pid, Ref()};
  // The child has not run yet, so both ends of a link or monitor are set before anything
  // can happen to either process: the child cannot end unnoticed.
  switch (relation) {
    case SpawnRelation::none:
      break;
    case SpawnRelation::link:
      parent->relations().links.insert(p->pid);
      p->relations().links.insert(parent->pid);
      break;
    case SpawnRelation::monitor:
      result.monitor = core.make_ref();
      parent->relations().monitors.emplace(result.monitor.raw(), p->pid);
      p->relations().watchers.emplace(result.monitor.raw(), parent->pid);
      break;
  }
  core.on_process_started(system ? RuntimeCore::ProcessKind::system : RuntimeCore::ProcessKind::normal);
  core.table.insert(p);
  p->state.store(RunState::runnable, std::memory_order_relaxed);
  core.scheduler.schedule(p);
  return result;
}

}  // namespace detail

// -- Runtime --

Runtime::Runtime() : Runtime(RuntimeOptions{}) {}
Runtime::Runtime(RuntimeOptions options) : core_(std::make_unique<detail::RuntimeCore>(*this, std::move(options))) {}

Runtime::~Runtime() {
  SNOW_CHECK(core_->live_hosts.load() == 0, "every ScopedActor must be destroyed before its Runtime");
  core_->stop();
}

void Runtime::stop() { core_->stop(); }

bool Runtime::cancel_timer(TimerRef timer) { return core_->timers.cancel(timer.id()); }

void Runtime::exit(Pid target, ExitReason reason) {
  detail::deliver(*core_, target, detail::box_signal(detail::ExitSignal{Pid(), std::move(reason), false}));
}

absl::Status Runtime::register_name(std::string name, Pid pid) {
  detail::ProcessRef p = core_->find(pid);
  return core_->registry.register_name(std::move(name), p.get(), pid);
}

absl::Status Runtime::unregister_name(std::string_view name) {
  absl::StatusOr<Pid> pid = core_->registry.unregister_name(name);
  if (!pid.ok()) return pid.status();
  if (detail::ProcessRef p = core_->find(*pid)) {
    auto named = detail::NameState::named;
    p->name_state.compare_exchange_strong(named, detail::NameState::none);
  }
  return absl::OkStatus();
}

std::optional<Pid> Runtime::whereis(std::string_view name) const { return core_->registry.whereis(name); }
std::vector<std::string> Runtime::registered_names() const { return core_->registry.names(); }
void Runtime::log(LogLevel level, std::string_view text) const { core_->log(level, "app", Pid(), text); }
void Runtime::log(LogLevel level, std::string_view kind, std::string_view text) const {
  core_->log(level, kind, Pid(), text);
}
std::optional<MailboxStats> Runtime::mailbox_stats(Pid pid) const {
  detail::ProcessRef p = core_->find(pid);
  if (!p) return std::nullopt;
  return MailboxStats{p->capacity, p->queued.load(std::memory_order_relaxed), p->dropped.load(std::memory_order_relaxed)};
}

// A process that has begun exiting stays in the table until its exit signals are out;
// those signals may already have woken a supervisor, whose restarted child must not find
// its predecessor "alive" (e.g. still holding a global name).
bool Runtime::is_alive(Pid pid) const {
  const auto p = core_->find(pid);
  return p && p->state.load(std::memory_order_acquire) != detail::RunState::exited;
}

RuntimeStats Runtime::stats() const {
  return {core_->spawned.load(), static_cast<std::uint64_t>(core_->live_processes.load() + core_->live_hosts.load() +
                                                       core_->live_system.load()),
          core_->dead_letters.load() + core_->obs.dead_no_process.load() + core_->obs.dead_no_name.load() +
              core_->obs.dead_not_a_node.load(),
          core_->dropped.load()};
}

bool Runtime::idle() const { return core_->scheduler.idle(); }
absl::Time Runtime::now() const { return core_->timers.now(); }
int Runtime::workers() const { return core_->scheduler.workers(); }

absl::Status Runtime::join(absl::Duration timeout) {
  if (core_->options.deterministic) {
    const absl::Time limit = now() + timeout;
    for (;;) {
      run_until_idle();
      if (core_->live_processes.load() == 0) return absl::OkStatus();
      std::optional<absl::Time> next = next_timer();
      if (!next) {
        return absl::FailedPreconditionError(
            absl::StrCat(core_->live_processes.load(), " processes are waiting and no timer is pending: they wait for ever"));
      }
      if (*next > limit) {
        core_->timers.set_virtual_now(limit);
        return absl::DeadlineExceededError("processes still alive at the join deadline");
      }
      core_->timers.fire_next(*next);
    }
  }
  auto all_ended = [&] { return core_->live_processes.load() == 0; };
  std::unique_lock lock(core_->join_mu);
  if (timeout == absl::InfiniteDuration()) {
    core_->join_cv.wait(lock, all_ended);
  } else if (!core_->join_cv.wait_for(lock, absl::ToChronoNanoseconds(timeout), all_ended)) {
    return absl::DeadlineExceededError("processes still alive at the join deadline");
  }
  return absl::OkStatus();
}

bool Runtime::step() {
  SNOW_CHECK(core_->options.deterministic, "step() is for deterministic runtimes");
  return core_->scheduler.step();
}

std::size_t Runtime::run_until_idle() {
  SNOW_CHECK(core_->options.deterministic, "run_until_idle() is for deterministic runtimes");
  std::size_t turns = 0;
  while (core_->scheduler.step()) ++turns;
  return turns;
}

void Runtime::advance(absl::Duration d) {
  SNOW_CHECK(core_->options.deterministic, "advance() is for deterministic runtimes");
  const absl::Time target = now() + d;
  run_until_idle();
  while (core_->timers.fire_next(target)) run_until_idle();
  core_->timers.set_virtual_now(target);
}

std::optional<absl::Time> Runtime::next_timer() const { return core_->timers.next_deadline(); }

}  // namespace snow
