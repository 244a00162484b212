// Errors cross module boundaries as values: a Status, or a Result<T> that holds
// either a value or a Status. Nothing here throws.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace kvd {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk,
    kNotFound,
    kInvalidArgument,   // bad input from a user or a config file
    kWrongType,         // key holds another type
    kOutOfRange,        // numeric overflow, index out of range
    kIOError,           // disk, socket or RocksDB failure
    kCorruption,        // on-disk data we cannot decode
    kBusy,              // the resource is in use (e.g. a dump is running)
    kAborted,           // a condition made the operation stop (NX/XX, WATCH)
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status NotFound(std::string msg = {}) { return {Code::kNotFound, std::move(msg)}; }
  static Status InvalidArgument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
  static Status WrongType() { return {Code::kWrongType, {}}; }
  static Status OutOfRange(std::string msg) { return {Code::kOutOfRange, std::move(msg)}; }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status Busy(std::string msg) { return {Code::kBusy, std::move(msg)}; }
  static Status Aborted(std::string msg = {}) { return {Code::kAborted, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  bool Is(Code code) const { return code_ == code; }
  const std::string& message() const { return message_; }

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}            // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}    // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace kvd

// Propagate a failed Status to the caller.
#define KVD_RETURN_IF_ERROR(expr)            \
  do {                                       \
    ::kvd::Status kvd_status_ = (expr);      \
    if (!kvd_status_.ok()) return kvd_status_; \
  } while (0)
