// The streaming scan with its k-way merge (scan.h). Each CPU's records
// queue in seq order as frames arrive; the merge gives the oldest head
// once every CPU that may still speak has a record queued (its trailer not
// read yet), or once the window is full.
#include <algorithm>
#include <limits>

#include "nestrr/eventlog/scan.h"

namespace nestrr::eventlog {
namespace {

// Input is read in blocks that start small (a short log costs no large
// buffer) and double while reads fill them, up to kBlock.
constexpr size_t kFirstBlock = 16 * 1024;
constexpr size_t kBlock = 256 * 1024;
// CPU ids a log may use: beyond this a chunk is refused, not allocated for.
constexpr uint64_t kMaxCpus = 4096;

}  // namespace

LogScanner::LogScanner(std::istream& in, size_t window)
    : in_(in), reader_(*this), block_(kFirstBlock), window_(window ? window : 1) {}
LogScanner::~LogScanner() = default;

bool LogScanner::read_slice() {
  if (eof_) return false;
  if (block_pos_ == block_len_) {
    if (block_len_ == block_.size() && block_.size() < kBlock) block_.resize(block_.size() * 2);
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
  Chunk chunk;
  if (!spare_.empty()) {
    chunk = std::move(spare_.back());
    spare_.pop_back();
  }
  chunk.records.swap(scratch_);
  chunk.payload.clear();
  // scan_packet numbers a chunk's records from its first seq on, so what
  // this CPU already gave is a prefix of them, and a gap shows at the front.
  std::vector<ScanRecord>& records = chunk.records;
  stats_.records += records.size();
  if (c.seen_records) {  // else no seq to follow yet (a flight dump starts mid-way)
    const uint64_t first_seq = records.front().seq;
    if (first_seq >= c.next_seq) {
      stats_.lost_transport += first_seq - c.next_seq;
    } else {
      const auto passed = static_cast<size_t>(std::min<uint64_t>(records.size(), c.next_seq - first_seq));
      stats_.duplicates += passed;
      records.erase(records.begin(), records.begin() + static_cast<std::ptrdiff_t>(passed));
    }
  }
  c.seen_records = true;
  const size_t kept = records.size();
  if (kept) {
    c.seen = true;
    c.next_seq = records.back().seq + 1;
  }
  if (forced_)
    for (const ScanRecord& r : records) stats_.out_of_window += r.tsc < last_tsc_;
  for (ScanRecord& r : records) {
    if (r.bytes.empty()) continue;
    // The frame's bytes go away after this call: keep them.
    if (chunk.payload.empty()) chunk.payload.assign(frame.payload.begin(), frame.payload.end());
    r.bytes = std::string_view(chunk.payload.data() + (r.bytes.data() - frame.payload.data()), r.bytes.size());
  }
  if (kept) {
    Cursor& k = cursors_[cpu_id];
    c.chunks.push_back(std::move(chunk));  // (a vector's move keeps its buffer)
    if (k.queued == 0) {
      k.next = c.chunks.back().records.data();
      k.end = k.next + kept;
      set_head(cpu_id, k.next->tsc);
    }
    k.queued += kept;
    queued_ += kept;
  } else {
    spare_.push_back(std::move(chunk));
  }
  set_quiet(c, cursors_[cpu_id].queued == 0 && !c.ended);
}

void LogScanner::grow(uint32_t cpus) {
  if (cpus <= cpus_.size()) return;
  cpus_.resize(cpus);
  cursors_.resize(cpus);
  for (const auto& [c, t] : trailers_)
    if (c < cpus_.size()) cpus_[c].ended = true;
  if (cpus <= leaves_) return;
  // A larger tournament, played again from its leaves.
  const size_t old_leaves = leaves_;
  std::vector<HeadKey> old = std::move(tournament_);
  leaves_ = std::max<size_t>(leaves_, 1);
  while (leaves_ < cpus) leaves_ *= 2;
  tournament_.assign(2 * leaves_, 0);
  for (size_t i = 0; i < leaves_; ++i)
    tournament_[leaves_ + i] =
        i < old_leaves ? old[old_leaves + i] : head_key(std::numeric_limits<uint64_t>::max(), i);
  for (size_t n = leaves_ - 1; n >= 1; --n)
    tournament_[n] = std::min(tournament_[2 * n], tournament_[2 * n + 1]);
}

inline void LogScanner::set_head(size_t cpu, uint64_t tsc) {
  HeadKey* t = tournament_.data();
  size_t pos = leaves_ + cpu;
  HeadKey key = head_key(tsc, cpu);
  t[pos] = key;
  for (; pos > 1; pos /= 2) {
    const HeadKey sibling = t[pos ^ 1];
    key = sibling < key ? sibling : key;
    t[pos / 2] = key;
  }
}

void LogScanner::set_quiet(Cpu& c, bool quiet) {
  if (c.quiet == quiet) return;
  c.quiet = quiet;
  quiet ? ++quiet_ : --quiet_;
}

// Takes the record given last off its CPU's queue; its next one, if any,
// plays for the head. Inline in next(): this is the step every record takes.
inline void LogScanner::take_given() {
  const auto g = static_cast<size_t>(given_cpu_);
  given_cpu_ = -1;
  Cursor& k = cursors_[g];
  --k.queued;
  --queued_;
  if (++k.next != k.end) [[likely]] {  // the same chunk goes on
    // The CPUs take turns, so a chunk's records may have left L1 by the
    // time their turn comes: ask for a few ahead.
    if (k.end - k.next > 4) __builtin_prefetch(k.next + 4);
    set_head(g, k.next->tsc);
    return;
  }
  next_chunk(g);
}

// The given chunk is done: the CPU's next one (if queued) comes forward.
void LogScanner::next_chunk(size_t g) {
  Cursor& k = cursors_[g];
  Cpu& c = cpus_[g];
  spare_.push_back(std::move(c.chunks.front()));
  c.chunks.pop_front();
  if (k.queued == 0) {
    k.next = k.end = nullptr;
    set_head(g, std::numeric_limits<uint64_t>::max());
    set_quiet(c, c.seen && !c.ended);
    return;
  }
  const Chunk& front = c.chunks.front();
  k.next = front.records.data();
  k.end = k.next + front.records.size();
  set_head(g, k.next->tsc);
}

// `tsc` is the record's, as its head key holds it (the record itself may
// still be out in the cache: the caller reads it, the merge need not).
const ScanRecord* LogScanner::give(size_t cpu, uint64_t tsc) {
  given_cpu_ = static_cast<int>(cpu);
  last_tsc_ = std::max(last_tsc_, tsc);
  return cursors_[cpu].next;
}

const ScanRecord* LogScanner::next() {
  if (given_cpu_ >= 0) take_given();
  // Read until every CPU that may still speak has a record queued, the
  // window is full, or the log ends.
  while (!eof_ && (queued_ == 0 || waiting_on_quiet_cpu()) && queued_ < window_) read_slice();
  // Given without waiting for a quiet CPU: what it sends later may be older.
  if (!eof_ && waiting_on_quiet_cpu()) forced_ = true;
  if (queued_ == 0) return nullptr;
  // An empty queue's head reads as the largest TSC, which a record may
  // also have: then the winner may be an empty queue of a lower id.
  const HeadKey root = tournament_[1];
  size_t best = static_cast<uint32_t>(root);
  if (static_cast<uint64_t>(root >> 32) == std::numeric_limits<uint64_t>::max() &&
      (best >= cursors_.size() || cursors_[best].queued == 0))
    for (best = 0; cursors_[best].queued == 0; ++best) {
    }
  return give(best, static_cast<uint64_t>(root >> 32));
}

}  // namespace nestrr::eventlog
