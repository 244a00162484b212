#include "protocol/resp_writer.h"

#include <charconv>

#include "common/numbers.h"

namespace kvd::protocol {

void RespWriter::Header(char marker, int64_t value) {
  char buffer[32];
  buffer[0] = marker;
  auto [end, error] = std::to_chars(buffer + 1, buffer + sizeof(buffer) - 2, value);
  (void)error;
  end[0] = '\r';
  end[1] = '\n';
  out_->append(buffer, static_cast<size_t>(end + 2 - buffer));
}

void RespWriter::SimpleString(std::string_view text) {
  out_->push_back('+');
  out_->append(text);
  out_->append("\r\n");
}

void RespWriter::Error(std::string_view message) {
  out_->push_back('-');
  // An error line cannot carry a newline; Redis replaces them with spaces.
  size_t start = out_->size();
  out_->append(message);
  for (size_t i = start; i < out_->size(); ++i) {
    if ((*out_)[i] == '\r' || (*out_)[i] == '\n') (*out_)[i] = ' ';
  }
  out_->append("\r\n");
}

void RespWriter::Integer(int64_t value) { Header(':', value); }

void RespWriter::Bulk(std::string_view data) {
  Header('$', static_cast<int64_t>(data.size()));
  out_->append(data);
  out_->append("\r\n");
}

char* RespWriter::BulkSpace(size_t size) {
  Header('$', static_cast<int64_t>(size));
  size_t at = out_->size();
  out_->resize(at + size);
  out_->append("\r\n");
  return out_->data() + at;
}

void RespWriter::NullBulk() { out_->append(resp3_ ? "_\r\n" : "$-1\r\n"); }
void RespWriter::NullArray() { out_->append(resp3_ ? "_\r\n" : "*-1\r\n"); }
void RespWriter::ArrayHeader(size_t count) { Header('*', static_cast<int64_t>(count)); }

void RespWriter::MapHeader(size_t pairs) {
  if (resp3_) {
    Header('%', static_cast<int64_t>(pairs));
  } else {
    Header('*', static_cast<int64_t>(pairs * 2));
  }
}

void RespWriter::SetHeader(size_t count) { Header(resp3_ ? '~' : '*', static_cast<int64_t>(count)); }
void RespWriter::PushHeader(size_t count) { Header(resp3_ ? '>' : '*', static_cast<int64_t>(count)); }

void RespWriter::Double(double value) {
  std::string text = FormatDouble(value);
  if (resp3_) {
    out_->push_back(',');
    out_->append(text);
    out_->append("\r\n");
  } else {
    Bulk(text);
  }
}

void RespWriter::Boolean(bool value) {
  if (resp3_) {
    out_->append(value ? "#t\r\n" : "#f\r\n");
  } else {
    Integer(value ? 1 : 0);
  }
}

void RespWriter::Verbatim(std::string_view text) {
  if (!resp3_) {
    Bulk(text);
    return;
  }
  Header('=', static_cast<int64_t>(text.size() + 4));
  out_->append("txt:");
  out_->append(text);
  out_->append("\r\n");
}

}  // namespace kvd::protocol
