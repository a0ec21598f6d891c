// Incremental reader of the frame layer (docs/format.md): an explicit
// byte-level state machine fed arbitrary chunks of a console stream. It
// separates frames from console text and reports every frame it cannot use.
// Every buffer is bounded; no input makes it fail.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nestrr/eventlog/damage.h"

namespace nestrr::eventlog {

struct Frame {
  std::string_view payload;  // valid only during the callback
  uint64_t offset = 0;       // stream offset of the frame's '~'
  uint64_t length = 0;       // bytes from '~' through the line end
  bool mark_repaired = false;  // the "~N" mark was damaged; the run was whole
};

struct TextLine {
  std::string_view text;  // without CR/LF; valid only during the callback
  uint64_t offset = 0;    // stream offset of the first byte
  bool complete = true;   // false: cut by the line bound or end of stream
};

// Receives what the reader finds, in stream order.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual void on_frame(const Frame& frame) = 0;
  virtual void on_text(const TextLine& line) = 0;
  virtual void on_damage(const Damage& damage) = 0;
};

class FrameReader {
 public:
  // Longest console line kept in one piece; longer lines are delivered in
  // pieces of this size (complete = false), nothing is dropped.
  static constexpr size_t kMaxTextLine = 4096;

  // Shortest base64 run behind a damaged mark that is reported as a
  // damaged frame rather than kept as console text.
  static constexpr size_t kMinMarklessRun = 24;

  explicit FrameReader(FrameSink& sink);

  // Feeds the next bytes of the stream. Any size, any content.
  void feed(std::span<const uint8_t> bytes);
  void feed(std::string_view bytes);
  // End of stream: delivers a pending text line, reports a cut frame.
  void finish();

  uint64_t bytes_fed() const { return offset_; }

 private:
  enum class State : uint8_t {
    kText,        // console text
    kSawTilde,    // '~' seen, maybe a frame mark
    kInFrame,     // inside a base64 run
    kAfterCr,     // frame ended by '\r'; a '\n' right after belongs to it
    kSkipRun,     // frame given up (too long): skip the rest of its run
    kSkipLine,    // frame broken by a stray byte: skip to its line end
  };

  void step(uint8_t byte);
  void text_byte(uint8_t byte);
  void frame_byte(uint8_t byte);
  bool validate(DamageKind* kind, std::string* why) const;
  static bool check_run(const std::vector<uint8_t>& decoded, size_t chars, uint32_t bits, int nbits,
                        DamageKind* kind, std::string* why);
  bool repair_mark(uint64_t end);
  void end_frame(uint64_t end, bool cut);
  void report(DamageKind kind, uint64_t end, std::string detail);
  void flush_text(bool complete);

  FrameSink& sink_;
  State state_ = State::kText;
  uint64_t offset_ = 0;  // offset of the byte being processed

  std::string text_;
  uint64_t text_offset_ = 0;

  uint64_t frame_offset_ = 0;   // '~' of the current frame
  size_t chars_ = 0;            // base64 characters in the run
  uint32_t bits_ = 0;           // pending decoded bits
  int nbits_ = 0;
  std::vector<uint8_t> decoded_;  // reserved to its bound once
  std::vector<uint8_t> repair_;   // decoding of a text line in repair_mark
  DamageKind skip_kind_ = DamageKind::kTooLong;
  std::string skip_detail_;
};

}  // namespace nestrr::eventlog
