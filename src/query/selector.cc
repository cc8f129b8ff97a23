#include "query/selector.h"

#include <regex>
#include <string>

namespace depin::query {
namespace {

using store::Matcher;

bool IsNameStart(char c, bool metric) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (metric && c == ':');
}
bool IsNameChar(char c, bool metric) { return IsNameStart(c, metric) || (c >= '0' && c <= '9'); }

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// A cursor over the selector text that reports errors with positions.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<std::vector<Matcher>> Parse() {
    std::vector<Matcher> out;
    SkipSpace();
    if (AtEnd()) return Error("empty selector");
    if (IsNameStart(Peek(), true)) {
      out.push_back({Matcher::Type::kEq, "__name__", Name(true)});
      SkipSpace();
    }
    if (!AtEnd() && Peek() == '{') {
      ++pos_;
      if (auto st = Braces(&out); !st.ok()) return st;
      SkipSpace();
    } else if (out.empty()) {
      return Error(std::string("expected a metric name or '{', found '") + Peek() + "'");
    }
    if (!AtEnd()) {
      return Error(std::string("unexpected '") + Peek() +
                   "' after the selector (only series selectors are accepted, no PromQL)");
    }
    bool selective = false;
    for (const auto& m : out) {
      if (auto st = CheckRegex(m); !st.ok()) return st;
      selective = selective || !MatchesEmpty(m);
    }
    if (!selective) {
      return Status::InvalidArgument(
          "selector must contain at least one matcher that does not match the empty string: " +
          std::string(text_));
    }
    return out;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  void SkipSpace() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' || Peek() == '\r')) {
      ++pos_;
    }
  }
  Status Error(const std::string& what) const {
    return Status::InvalidArgument("parse error at char " + std::to_string(pos_ + 1) + ": " + what);
  }

  std::string Name(bool metric) {
    size_t start = pos_;
    while (!AtEnd() && IsNameChar(Peek(), metric)) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  // After '{': matchers separated by commas, then '}'.
  Status Braces(std::vector<Matcher>* out) {
    for (;;) {
      SkipSpace();
      if (AtEnd()) return Error("unclosed '{'");
      if (Peek() == '}') {
        ++pos_;
        return Status::Ok();
      }
      if (!IsNameStart(Peek(), false)) {
        return Error(std::string("expected a label name, found '") + Peek() + "'");
      }
      Matcher m;
      m.name = Name(false);
      SkipSpace();
      if (auto st = Operator(&m.type); !st.ok()) return st;
      SkipSpace();
      auto value = String();
      if (!value.ok()) return value.status();
      m.value = std::move(value.value());
      out->push_back(std::move(m));
      SkipSpace();
      if (AtEnd()) return Error("unclosed '{'");
      if (Peek() == ',') {
        ++pos_;
      } else if (Peek() != '}') {
        return Error(std::string("expected ',' or '}', found '") + Peek() + "'");
      }
    }
  }

  Status Operator(Matcher::Type* type) {
    std::string_view rest = text_.substr(pos_);
    if (rest.rfind("=~", 0) == 0) {
      *type = Matcher::Type::kRe;
    } else if (rest.rfind("!~", 0) == 0) {
      *type = Matcher::Type::kNre;
    } else if (rest.rfind("!=", 0) == 0) {
      *type = Matcher::Type::kNeq;
    } else if (rest.rfind("=", 0) == 0) {
      *type = Matcher::Type::kEq;
      ++pos_;
      return Status::Ok();
    } else {
      return Error("expected one of =, !=, =~, !~");
    }
    pos_ += 2;
    return Status::Ok();
  }

  Result<std::string> String() {
    if (AtEnd()) return Error("expected a quoted string");
    const char quote = Peek();
    if (quote != '"' && quote != '\'' && quote != '`') {
      return Error(std::string("expected a quoted string, found '") + quote + "'");
    }
    const size_t open = pos_++;
    std::string out;
    while (!AtEnd() && Peek() != quote) {
      char c = text_[pos_++];
      if (c == '\n' && quote != '`') return Error("newline in a quoted string");
      if (c != '\\' || quote == '`') {
        out.push_back(c);
        continue;
      }
      if (AtEnd()) break;
      if (auto st = Escape(quote, &out); !st.ok()) return st;
    }
    if (AtEnd()) {
      pos_ = open;
      return Error("unterminated quoted string");
    }
    ++pos_;
    return out;
  }

  // After a backslash: Go's escapes.
  Status Escape(char quote, std::string* out) {
    const char c = text_[pos_++];
    switch (c) {
      case 'a':
        out->push_back('\a');
        return Status::Ok();
      case 'b':
        out->push_back('\b');
        return Status::Ok();
      case 'f':
        out->push_back('\f');
        return Status::Ok();
      case 'n':
        out->push_back('\n');
        return Status::Ok();
      case 'r':
        out->push_back('\r');
        return Status::Ok();
      case 't':
        out->push_back('\t');
        return Status::Ok();
      case 'v':
        out->push_back('\v');
        return Status::Ok();
      case '\\':
        out->push_back('\\');
        return Status::Ok();
      default:
        break;
    }
    if (c == quote) {
      out->push_back(c);
      return Status::Ok();
    }
    int digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
    if (digits == 0) {
      pos_ -= 2;  // at the backslash
      return Error(std::string("unknown escape sequence '\\") + c + "'");
    }
    uint32_t cp = 0;
    for (int i = 0; i < digits; ++i) {
      int d = AtEnd() ? -1 : HexDigit(Peek());
      if (d < 0) return Error(std::string("invalid \\") + c + " escape");
      cp = cp * 16 + static_cast<uint32_t>(d);
      ++pos_;
    }
    if (c == 'x') {
      out->push_back(static_cast<char>(cp));
    } else if (cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) {
      return Error("escape is not a valid Unicode code point");
    } else {
      AppendUtf8(cp, out);
    }
    return Status::Ok();
  }

  static Status CheckRegex(const Matcher& m) {
    if (m.type != Matcher::Type::kRe && m.type != Matcher::Type::kNre) return Status::Ok();
    try {
      std::regex re("^(?:" + m.value + ")$", std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return Status::InvalidArgument("invalid regular expression for label \"" + m.name + "\": \"" +
                                     m.value + "\": " + e.what());
    }
    return Status::Ok();
  }

  static bool MatchesEmpty(const Matcher& m) {
    switch (m.type) {
      case Matcher::Type::kEq:
        return m.value.empty();
      case Matcher::Type::kNeq:
        return !m.value.empty();
      case Matcher::Type::kRe:
        return std::regex_match(std::string(), std::regex("^(?:" + m.value + ")$"));
      case Matcher::Type::kNre:
        return !std::regex_match(std::string(), std::regex("^(?:" + m.value + ")$"));
    }
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::vector<store::Matcher>> ParseSelector(std::string_view text) {
  return Parser(text).Parse();
}

}  // namespace depin::query
