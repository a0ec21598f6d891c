// The streaming scan with its k-way merge (scan.h). Each CPU's records
// queue in seq order as frames arrive; the merge gives the oldest head
// once every CPU that may still speak has a record queued (its trailer not
// read yet), or once the window is full.
#include <algorithm>
#include <limits>

#include "nestrr/eventlog/scan.h"

namespace nestrr::eventlog {
namespace {

constexpr size_t kBlock = 256 * 1024;
// CPU ids a log may use: beyond this a chunk is refused, not allocated for.
constexpr uint64_t kMaxCpus = 4096;

}  // namespace

LogScanner::LogScanner(std::istream& in, size_t window)
    : in_(in), reader_(*this), block_(kBlock), window_(window ? window : 1) {}
LogScanner::~LogScanner() = default;

bool LogScanner::read_slice() {
  if (eof_) return false;
  if (block_pos_ == block_len_) {
    in_.read(block_.data(), static_cast<std::streamsize>(block_.size()));
    const auto got = in_.gcount();
    block_pos_ = 0;
    block_len_ = got > 0 ? static_cast<size_t>(got) : 0;
    stats_.bytes += block_len_;
    if (block_len_ == 0) {
      reader_.finish();
      eof_ = true;
      return false;
    }
  }
  const size_t n = std::min(kSlice, block_len_ - block_pos_);
  reader_.feed(std::string_view(block_.data() + block_pos_, n));
  block_pos_ += n;
  return true;
}

const nestrr::v1::Header* LogScanner::header() {
  while (!header_ && !eof_) read_slice();
  return header_ ? &*header_ : nullptr;
}

void LogScanner::on_frame(const Frame& frame) {
  ++stats_.frames;
  PacketParts parts;
  std::string why;
  scratch_.clear();
  if (!scan_packet(frame.payload, &scratch_, &parts, &why)) {
    on_damage(Damage{DamageKind::kBadPacket, frame.offset, frame.length, why});
    return;
  }
  if (parts.header || parts.trailer) {
    nestrr::v1::Packet p;
    if (p.ParseFromArray(frame.payload.data(), static_cast<int>(frame.payload.size()))) {
      if (p.has_header() && !header_) {
        header_ = p.header();
        // Every CPU the header names may still speak: the merge waits for it.
        grow(static_cast<uint32_t>(std::min<uint64_t>(header_->cpu_count(), kMaxCpus)));
        for (Cpu& c : cpus_)
          if (!c.seen && !c.ended) {
            c.seen = true;
            set_quiet(c, true);
          }
      }
      if (p.has_trailer()) {
        trailers_[p.trailer().cpu()] = p.trailer();
        if (p.trailer().cpu() < cpus_.size()) {
          cpus_[p.trailer().cpu()].ended = true;
          set_quiet(cpus_[p.trailer().cpu()], false);
        }
      }
    }
  }
  if (scratch_.empty()) return;
  const uint32_t cpu_id = scratch_.front().cpu;
  if (cpu_id >= kMaxCpus) {
    on_damage(Damage{DamageKind::kBadPacket, frame.offset, frame.length,
                     "chunk of cpu " + std::to_string(cpu_id) + " (at most " +
                         std::to_string(kMaxCpus) + " CPUs)"});
    return;
  }
  grow(cpu_id + 1);
  Cpu& c = cpus_[cpu_id];
  bool first = !c.seen_records;  // no seq to follow yet (a flight dump starts mid-way)
  c.seen_records = true;
  for (ScanRecord& r : scratch_) {
    ++stats_.records;
    if (!first && r.seq < c.next_seq) {
      ++stats_.duplicates;
      continue;
    }
    if (!first && r.seq > c.next_seq) stats_.lost_transport += r.seq - c.next_seq;
    first = false;
    c.seen = true;
    c.next_seq = r.seq + 1;
    if (forced_ && r.tsc < last_tsc_) ++stats_.out_of_window;
    if (!r.bytes.empty()) {  // the frame's bytes go away after this call
      c.bytes.emplace_back(r.bytes);
      r.bytes = c.bytes.back();
    }
    if (c.queue.empty()) head_tsc_[cpu_id] = r.tsc;
    c.queue.push_back(r);
    ++queued_;
  }
  set_quiet(c, c.queue.empty() && !c.ended);
}

void LogScanner::grow(uint32_t cpus) {
  if (cpus <= cpus_.size()) return;
  cpus_.resize(cpus);
  head_tsc_.resize(cpus, std::numeric_limits<uint64_t>::max());
  for (const auto& [c, t] : trailers_)
    if (c < cpus_.size()) cpus_[c].ended = true;
}

void LogScanner::set_quiet(Cpu& c, bool quiet) {
  if (c.quiet == quiet) return;
  c.quiet = quiet;
  quiet ? ++quiet_ : --quiet_;
}

const ScanRecord* LogScanner::next() {
  // Read until every CPU that may still speak has a record queued, the
  // window is full, or the log ends.
  while (!eof_ && (queued_ == 0 || waiting_on_quiet_cpu()) && queued_ < window_) read_slice();
  // Given without waiting for a quiet CPU: what it sends later may be older.
  if (!eof_ && waiting_on_quiet_cpu()) forced_ = true;
  if (queued_ == 0) return nullptr;
  size_t best = 0;
  for (size_t i = 1; i < head_tsc_.size(); ++i)
    if (head_tsc_[i] < head_tsc_[best]) best = i;
  // An empty queue's head reads as the largest TSC, which a record may
  // also have: then every head ties and the first CPU may be an empty one.
  if (cpus_[best].queue.empty())
    for (best = 0; cpus_[best].queue.empty(); ++best) {
    }
  Cpu& c = cpus_[best];
  current_ = c.queue.front();
  c.queue.pop_front();
  --queued_;
  if (c.queue.empty()) {
    head_tsc_[best] = std::numeric_limits<uint64_t>::max();
    set_quiet(c, c.seen && !c.ended);
  } else {
    head_tsc_[best] = c.queue.front().tsc;
  }
  if (!current_.bytes.empty()) {
    current_bytes_ = std::move(c.bytes.front());
    c.bytes.pop_front();
    current_.bytes = current_bytes_;
  }
  last_tsc_ = std::max(last_tsc_, current_.tsc);
  return &current_;
}

}  // namespace nestrr::eventlog
