// snow/exit_reason.hpp: why a process ended.
//
// Failure inside the actor model is a value, not an exception: a process ends with an
// ExitReason, and that reason travels to linked processes (as an exit signal) and to
// monitors (inside Down). The reasons mirror Erlang's:
//
//   normal        the body returned; does not kill non-trapping linked processes
//   shutdown      asked to stop (by a supervisor, say); kills non-trapping links
//   kill          sent with exit(pid, kill): untrappable; the target ends as `killed`
//   killed        the reason of a process that was sent `kill`
//   noproc        the target of a link or monitor did not exist
//   noconnection  the node of a linked or monitored process became unreachable
//   error(text)   an exception escaped the body (text is its what())
//   user value    any C++ value given to exit(); printed with its operator<<
//   linked(pid, reason)  taken down through a link by `pid`, which ended with `reason`;
//                 only processes that follow Snow's rules end so (see exit_rules.hpp)
//
// A linked reason nests (a chain a <- b <- c gives c linked(b, linked(a, error(..)))), at
// most kMaxLinkedDepth deep: past that, the hops next to the origin are dropped and the
// first process to fail and its reason are kept. The bound keeps printing, comparing,
// destroying and encoding a reason cheap and shallow however long the chain of links.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <utility>

#include "snow/detail/message_node.hpp"
#include "snow/pid.hpp"

namespace snow {

class ExitReason {
 public:
  enum class Kind : std::uint8_t { normal, shutdown, kill, killed, noproc, noconnection, error, user, linked };
  /// How many linked(...) a reason holds at most, one inside the other.
  static constexpr int kMaxLinkedDepth = 32;

  /// The default reason is normal.
  ExitReason() = default;
  static ExitReason normal() { return ExitReason(Kind::normal); }
  static ExitReason shutdown() { return ExitReason(Kind::shutdown); }
  static ExitReason kill() { return ExitReason(Kind::kill); }
  static ExitReason killed() { return ExitReason(Kind::killed); }
  static ExitReason noproc() { return ExitReason(Kind::noproc); }
  static ExitReason noconnection() { return ExitReason(Kind::noconnection); }
  static ExitReason error(std::string text) {
    ExitReason r(Kind::error);
    r.text_ = std::move(text);
    return r;
  }
  /// A reason carrying any copyable value. For a wire type (which the reason carries to
  /// other nodes), this and user_value need snow/wire.hpp included too (snow/actor.hpp
  /// includes it); this header leaves the wire codec out.
  template <class T>
  static ExitReason user(T value) {
    ExitReason r(Kind::user);
    r.value_ = std::shared_ptr<const detail::MessageNode>(detail::box(std::move(value)),
                                                          [](const detail::MessageNode* n) {
                                                            detail::destroy(const_cast<detail::MessageNode*>(n));
                                                          });
    return r;
  }

  /// The reason of a process taken down through its link to `partner`, which ended with
  /// `partner_reason` (the runtime makes these; see exit_rules.hpp).
  static ExitReason linked(Pid partner, ExitReason partner_reason);

  Kind kind() const { return kind_; }
  bool is_normal() const { return kind_ == Kind::normal; }
  bool is(Kind k) const { return kind_ == k; }
  /// The text of an error reason (empty for other kinds).
  const std::string& text() const { return text_; }
  /// The value of a user reason, or nullptr when the reason is not a `T`.
  template <class T>
  const T* user_value() const {
    if (kind_ != Kind::user || value_->type != detail::type_of<T>()) return nullptr;
    return &detail::unbox<T>(const_cast<detail::MessageNode*>(value_.get()));
  }

  /// The boxed value of a user reason (null for other kinds); how a reason crosses nodes.
  const detail::MessageNode* user_node() const { return value_.get(); }
  /// For a linked reason: the partner whose exit came through the link (null Pid otherwise).
  Pid partner() const;
  /// For a linked reason: the partner's own reason (nullptr otherwise).
  const ExitReason* partner_reason() const;

  /// `normal`, `shutdown`, ..., `error(text)`, or the user value printed.
  std::string to_string() const;
  friend std::ostream& operator<<(std::ostream& os, const ExitReason& r) { return os << r.to_string(); }
  /// Same kind and same text; user values compare by identity of the boxed value, linked
  /// reasons by partner and partner's reason.
  friend bool operator==(const ExitReason& a, const ExitReason& b);

 private:
  struct Linked;
  explicit ExitReason(Kind kind) : kind_(kind) {}
  Kind kind_ = Kind::normal;
  std::string text_;
  std::shared_ptr<const detail::MessageNode> value_;
  std::shared_ptr<const Linked> linked_;  // set for a linked reason
};

struct ExitReason::Linked {
  Pid partner;
  ExitReason reason;
};

inline Pid ExitReason::partner() const { return linked_ ? linked_->partner : Pid(); }
inline const ExitReason* ExitReason::partner_reason() const { return linked_ ? &linked_->reason : nullptr; }
inline bool operator==(const ExitReason& a, const ExitReason& b) {
  if (a.kind_ != b.kind_ || a.text_ != b.text_ || a.value_ != b.value_) return false;
  if (a.linked_ == b.linked_) return true;
  return a.linked_ && b.linked_ && a.linked_->partner == b.linked_->partner && a.linked_->reason == b.linked_->reason;
}

/// Thrown by `Self::exit(reason)` to end the calling process with `reason`; the process
/// body is unwound (destructors run) and the runtime ends the process with that reason.
struct ProcessExit {
  ExitReason reason;
};

}  // namespace snow
