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
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <utility>

#include "snow/detail/message_node.hpp"

namespace snow {

class ExitReason {
 public:
  enum class Kind : std::uint8_t { normal, shutdown, kill, killed, noproc, noconnection, error, user };

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
  /// A reason carrying any copyable value.
  template <class T>
  static ExitReason user(T value) {
    ExitReason r(Kind::user);
    r.value_ = std::shared_ptr<const detail::MessageNode>(detail::box(std::move(value)),
                                                          [](const detail::MessageNode* n) {
                                                            detail::destroy(const_cast<detail::MessageNode*>(n));
                                                          });
    return r;
  }

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

  /// `normal`, `shutdown`, ..., `error(text)`, or the user value printed.
  std::string to_string() const;
  friend std::ostream& operator<<(std::ostream& os, const ExitReason& r) { return os << r.to_string(); }
  /// Same kind and same text; user values compare by identity of the boxed value.
  friend bool operator==(const ExitReason& a, const ExitReason& b) {
    return a.kind_ == b.kind_ && a.text_ == b.text_ && a.value_ == b.value_;
  }

 private:
  explicit ExitReason(Kind kind) : kind_(kind) {}
  Kind kind_ = Kind::normal;
  std::string text_;
  std::shared_ptr<const detail::MessageNode> value_;
};

/// Thrown by `Self::exit(reason)` to end the calling process with `reason`; the process
/// body is unwound (destructors run) and the runtime ends the process with that reason.
struct ProcessExit {
  ExitReason reason;
};

}  // namespace snow
