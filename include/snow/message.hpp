// snow/message.hpp: a message whose type is not known statically.
//
// A catch-all receive clause (`snow::any(fn)`) hands its handler a `Message`: the owner
// of one boxed value, which can be asked for its type and unwrapped.
//
// This header does not include the wire codec. For a wire type (one that can be sent to
// another node, snow/wire.hpp), boxing it or asking for it (of, is, get) also needs
// snow/wire.hpp included, because the type's TypeInfo holds its encoder; snow/actor.hpp
// and every header that sends include it. Other types need only this header.
#pragma once

#include <memory>
#include <string>

#include "snow/detail/message_node.hpp"

namespace snow {

class Message {
 public:
  Message() = default;
  explicit Message(detail::MessageNode* node) : node_(node) {}
  Message(Message&& other) noexcept : node_(std::exchange(other.node_, nullptr)) {}
  Message& operator=(Message&& other) noexcept {
    if (this != &other) {
      reset();
      node_ = std::exchange(other.node_, nullptr);
    }
    return *this;
  }
  ~Message() { reset(); }

  /// Boxes a value.
  template <class T>
  static Message of(T&& value) { return Message(detail::box(std::forward<T>(value))); }

  explicit operator bool() const { return node_ != nullptr; }
  template <class T>
  bool is() const { return node_ && node_->type == detail::type_of<T>(); }
  /// The value, or nullptr if the message holds another type.
  template <class T>
  T* get() { return is<T>() ? &detail::unbox<T>(node_) : nullptr; }
  template <class T>
  const T* get() const { return is<T>() ? &detail::unbox<T>(node_) : nullptr; }

  /// The demangled C++ type name of the value.
  std::string type_name() const { return node_ ? detail::demangle(*node_->type->std_type) : "<empty>"; }
  /// The value printed with its operator<<, or its type name.
  std::string to_string() const { return node_ ? node_->type->print(node_) : "<empty>"; }

  detail::MessageNode* release() { return std::exchange(node_, nullptr); }

 private:
  void reset() {
    if (node_) detail::destroy(std::exchange(node_, nullptr));
  }
  detail::MessageNode* node_ = nullptr;
};

}  // namespace snow
