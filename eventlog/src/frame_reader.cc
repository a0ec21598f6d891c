// The frame reader's state machine. One byte at a time, every append
// bounded: text by kMaxTextLine, frames by the largest legal base64 run,
// skipped garbage by the longest legal frame line.
#include "nestrr/eventlog/frame_reader.h"

#include <libdeflate.h>

#include <algorithm>
#include <cstdio>

#include "nestrr/frame.h"

namespace nestrr::eventlog {
namespace {

constexpr size_t kMaxChars = NESTRR_BASE64_CHARS(NESTRR_FRAME_MAX_PAYLOAD + NESTRR_FRAME_CRC_BYTES);
constexpr size_t kMaxDecoded = NESTRR_FRAME_MAX_PAYLOAD + NESTRR_FRAME_CRC_BYTES;
constexpr uint64_t kMaxSkip = NESTRR_FRAME_MAX_LINE;

void decode_sextet(int v, uint32_t& bits, int& nbits, std::vector<uint8_t>& out);

// nestrr_base64_value as a table, for the frame body's fast path.
struct SextetTable {
  int8_t value[256];
  SextetTable() {
    for (int c = 0; c < 256; ++c) value[c] = static_cast<int8_t>(nestrr_base64_value(static_cast<unsigned char>(c)));
  }
  int operator[](uint8_t c) const { return value[c]; }
};
const SextetTable kSextet;

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

}  // namespace

FrameReader::FrameReader(FrameSink& sink) : sink_(sink) {
  decoded_.reserve(kMaxDecoded);
  text_.reserve(kMaxTextLine);
}

void FrameReader::feed(std::string_view bytes) {
  feed(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

void FrameReader::feed(std::span<const uint8_t> bytes) {
  const size_t n = bytes.size();
  for (size_t i = 0; i < n;) {
    if (state_ == State::kInFrame) {
      // Fast path through the body of a frame: base64 characters up to the
      // bound, decoded in place. Anything else goes through step().
      while (i < n && chars_ < kMaxChars) {
        // Four characters make three bytes: whole groups skip the bit
        // accumulator, decoded in a loop on locals (stores through a byte
        // pointer would make the compiler reload every member after each).
        // A group with any non-base64 byte ends it; that byte goes one by
        // one.
        if (nbits_ == 0) {
          const size_t groups = std::min(n - i, kMaxChars - chars_) / 4;
          const size_t had = decoded_.size();
          decoded_.resize(had + 3 * groups);
          uint8_t* out = decoded_.data() + had;
          const uint8_t* in = bytes.data() + i;
          size_t g = 0;
          for (; g < groups; ++g, in += 4, out += 3) {
            const int a = kSextet[in[0]], b = kSextet[in[1]], c = kSextet[in[2]], d = kSextet[in[3]];
            if ((a | b | c | d) < 0) break;
            const uint32_t v = (static_cast<uint32_t>(a) << 18) | (static_cast<uint32_t>(b) << 12) |
                               (static_cast<uint32_t>(c) << 6) | static_cast<uint32_t>(d);
            out[0] = static_cast<uint8_t>(v >> 16);
            out[1] = static_cast<uint8_t>(v >> 8);
            out[2] = static_cast<uint8_t>(v);
          }
          decoded_.resize(had + 3 * g);
          chars_ += 4 * g;
          i += 4 * g;
          offset_ += 4 * g;
          if (i == n || chars_ >= kMaxChars) break;
        }
        const int v = kSextet[bytes[i]];
        if (v < 0) break;
        ++chars_;
        decode_sextet(v, bits_, nbits_, decoded_);
        ++i;
        ++offset_;
      }
      if (i == n) break;
    }
    step(bytes[i]);
    ++offset_;
    ++i;
  }
}

void FrameReader::step(uint8_t b) {
  switch (state_) {
    case State::kText:
      text_byte(b);
      return;
    case State::kSawTilde:
      if (b == NESTRR_FRAME_MARK1) {
        // Text before "~N" on its line (or a frame whose mark and line end
        // were both hit, run into this one).
        if (!text_.empty() && !repair_mark(offset_ - 1)) flush_text(true);
        text_.clear();
        state_ = State::kInFrame;
        frame_offset_ = offset_ - 1;
        chars_ = 0;
        bits_ = 0;
        nbits_ = 0;
        decoded_.clear();
        return;
      }
      // Not a frame mark: the '~' was text.
      state_ = State::kText;
      if (text_.size() >= kMaxTextLine) flush_text(false);
      if (text_.empty()) text_offset_ = offset_ - 1;
      text_.push_back('~');
      text_byte(b);
      return;
    case State::kInFrame:
      frame_byte(b);
      return;
    case State::kAfterCr:
      if (b == '\n') {
        end_frame(offset_ + 1, false);
        state_ = State::kText;
      } else {
        end_frame(offset_, false);
        state_ = State::kText;
        text_byte(b);
      }
      return;
    case State::kSkipRun:
    case State::kSkipLine: {
      const bool run_ended = state_ == State::kSkipRun && nestrr_base64_value(b) < 0 && b != '\r';
      if (b == '\n') {
        report(skip_kind_, offset_ + 1, std::move(skip_detail_));
        state_ = State::kText;
      } else if (b == NESTRR_FRAME_MARK0 || run_ended ||
                 (state_ == State::kSkipLine && offset_ - frame_offset_ >= kMaxSkip)) {
        report(skip_kind_, offset_, std::move(skip_detail_));
        state_ = State::kText;
        text_byte(b);
      }
      return;
    }
  }
}

void FrameReader::text_byte(uint8_t b) {
  if (b == NESTRR_FRAME_MARK0) {
    state_ = State::kSawTilde;
    return;
  }
  if (b == '\n') {
    if (!text_.empty() && text_.back() == '\r') text_.pop_back();
    if (text_.empty()) text_offset_ = offset_;
    if (repair_mark(offset_ + 1)) {
      text_.clear();
      return;
    }
    flush_text(true);
    return;
  }
  if (text_.size() >= kMaxTextLine) flush_text(false);
  if (text_.empty()) text_offset_ = offset_;
  text_.push_back(static_cast<char>(b));
}

namespace {

// One base64 character's 6 bits into the byte accumulator.
void decode_sextet(int v, uint32_t& bits, int& nbits, std::vector<uint8_t>& out) {
  bits = (bits << 6) | static_cast<uint32_t>(v);
  nbits += 6;
  if (nbits >= 8) {
    nbits -= 8;
    out.push_back(static_cast<uint8_t>(bits >> nbits));
    bits &= (1u << nbits) - 1u;
  }
}

}  // namespace

void FrameReader::flush_text(bool complete) {
  sink_.on_text(TextLine{text_, text_offset_, complete});
  text_.clear();
}

// A frame whose "~N" mark was hit reaches us as a text line: "N<run>" (the
// '~' dropped), "~<run>" (the 'N' dropped) or "?N<run>" (the '~' changed).
// If the run passes every frame check, CRC included, it is that frame.
bool FrameReader::repair_mark(uint64_t end) {
  size_t skip = 0;
  if (text_.size() > 1 && (text_[0] == NESTRR_FRAME_MARK1 || text_[0] == NESTRR_FRAME_MARK0)) {
    skip = 1;
  } else if (text_.size() > 2 && text_[1] == NESTRR_FRAME_MARK1) {
    skip = 2;
  } else {
    return false;
  }
  const size_t chars = text_.size() - skip;
  if (chars < NESTRR_BASE64_CHARS(NESTRR_FRAME_CRC_BYTES) || chars > kMaxChars) return false;
  repair_.clear();
  uint32_t bits = 0;
  int nbits = 0;
  for (size_t i = skip; i < text_.size(); ++i) {
    const int v = nestrr_base64_value(static_cast<uint8_t>(text_[i]));
    if (v < 0) return false;
    decode_sextet(v, bits, nbits, repair_);
  }
  DamageKind kind;
  std::string why;
  if (!check_run(repair_, chars, bits, nbits, &kind, &why)) {
    // A long unbroken base64 run behind a mark-like prefix is a frame hit
    // both in its mark and its body, not console text.
    if (chars < kMinMarklessRun) return false;
    sink_.on_damage(Damage{DamageKind::kBadMark, text_offset_, end - text_offset_,
                           "base64 run of " + std::to_string(chars) +
                               " characters with a damaged \"~N\" mark: " + why});
    return true;
  }
  const size_t n = repair_.size() - NESTRR_FRAME_CRC_BYTES;
  Frame f{std::string_view(reinterpret_cast<const char*>(repair_.data()), n), text_offset_,
          end - text_offset_};
  f.mark_repaired = true;
  sink_.on_frame(f);
  return true;
}

void FrameReader::frame_byte(uint8_t b) {
  const int v = nestrr_base64_value(b);
  if (v >= 0) {
    if (chars_ >= kMaxChars) {
      state_ = State::kSkipRun;
      skip_kind_ = DamageKind::kTooLong;
      skip_detail_ = "base64 run longer than the largest frame (" + std::to_string(kMaxChars) +
                     " characters); resynchronizing at the next frame";
      return;
    }
    ++chars_;
    decode_sextet(v, bits_, nbits_, decoded_);
    return;
  }
  if (b == '\n') {
    end_frame(offset_ + 1, false);
    state_ = State::kText;
  } else if (b == '\r') {
    state_ = State::kAfterCr;
  } else {
    // A stray byte ends the run. A frame that is whole anyway is kept and the
    // byte is text; otherwise the rest of the line belongs to the damage.
    DamageKind kind;
    std::string why;
    if (validate(&kind, &why)) {
      end_frame(offset_, false);
      state_ = State::kText;
      text_byte(b);
    } else if (b == NESTRR_FRAME_MARK0) {
      // The next frame's mark: this run lost its '\n' (or had it changed
      // into a base64 character). The run is damage; the next frame is not.
      report(kind, offset_, "the next frame's mark ended the frame; " + why);
      state_ = State::kText;
      text_byte(b);
    } else {
      char buf[64];
      std::snprintf(buf, sizeof buf, "byte 0x%02x at offset %llu ended the frame; ", b,
                    static_cast<unsigned long long>(offset_));
      state_ = State::kSkipLine;
      skip_kind_ = DamageKind::kBadByte;
      skip_detail_ = buf + why;
    }
  }
}

// Checks the finished base64 run: length, unused bits, CRC.
bool FrameReader::validate(DamageKind* kind, std::string* why) const {
  return check_run(decoded_, chars_, bits_, nbits_, kind, why);
}

bool FrameReader::check_run(const std::vector<uint8_t>& decoded, size_t chars, uint32_t bits,
                            int nbits, DamageKind* kind, std::string* why) {
  if (chars % 4 == 1) {
    *kind = DamageKind::kBadLength;
    *why = std::to_string(chars) + " base64 characters cannot encode whole bytes";
    return false;
  }
  if (decoded.size() < NESTRR_FRAME_CRC_BYTES) {
    *kind = DamageKind::kBadLength;
    *why = std::to_string(decoded.size()) + " bytes is shorter than the frame's CRC";
    return false;
  }
  if (nbits > 0 && bits != 0) {
    *kind = DamageKind::kBadPadding;
    *why = "last base64 character has non-zero unused bits";
    return false;
  }
  const size_t n = decoded.size() - NESTRR_FRAME_CRC_BYTES;
  const uint32_t stored = decoded[n] | (decoded[n + 1] << 8) | (decoded[n + 2] << 16) |
                          (static_cast<uint32_t>(decoded[n + 3]) << 24);
  // libdeflate's CRC-32 is the logger's (same polynomial and check value,
  // a test holds them equal) and, where the CPU has carry-less multiply,
  // folds 16 bytes a step where the logger's table walks one; the reader
  // runs it over every byte of a log.
  const uint32_t computed = libdeflate_crc32(0, decoded.data(), n);
  if (stored != computed) {
    *kind = DamageKind::kCrcMismatch;
    *why = "CRC " + hex32(stored) + " stored, " + hex32(computed) + " computed over " +
           std::to_string(n) + " payload bytes";
    return false;
  }
  return true;
}

// Delivers the finished run as a frame or as a damage report covering
// [frame_offset_, end).
void FrameReader::end_frame(uint64_t end, bool cut) {
  DamageKind kind;
  std::string why;
  if (!validate(&kind, &why)) {
    if (cut) {
      Damage d{DamageKind::kCut, frame_offset_, end - frame_offset_,
               "stream ended inside a frame: " + why, {}};
      d.payload_prefix.assign(decoded_.begin(), decoded_.end());
      sink_.on_damage(d);
    } else {
      report(kind, end, std::move(why));
    }
    return;
  }
  const size_t n = decoded_.size() - NESTRR_FRAME_CRC_BYTES;
  sink_.on_frame(Frame{std::string_view(reinterpret_cast<const char*>(decoded_.data()), n),
                       frame_offset_, end - frame_offset_});
}

void FrameReader::report(DamageKind kind, uint64_t end, std::string detail) {
  sink_.on_damage(Damage{kind, frame_offset_, end - frame_offset_, std::move(detail)});
}

void FrameReader::finish() {
  switch (state_) {
    case State::kText:
      break;
    case State::kSawTilde:
      if (text_.size() >= kMaxTextLine) flush_text(false);
      if (text_.empty()) text_offset_ = offset_ - 1;
      text_.push_back('~');
      break;
    case State::kInFrame:
      // A whole frame that only lacks its line end is kept.
      end_frame(offset_, true);
      break;
    case State::kAfterCr:
      end_frame(offset_, false);
      break;
    case State::kSkipRun:
    case State::kSkipLine:
      report(skip_kind_, offset_, std::move(skip_detail_));
      break;
  }
  state_ = State::kText;
  if (!text_.empty()) flush_text(false);
}

}  // namespace nestrr::eventlog
