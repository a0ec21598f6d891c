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
  chunk.pos = 0;
  chunk.payload.clear();
  bool first = !c.seen_records;  // no seq to follow yet (a flight dump starts mid-way)
  c.seen_records = true;
  size_t kept = 0;
  for (ScanRecord& r : chunk.records) {
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
    if (!r.bytes.empty()) {  // the frame's bytes go away after this call: keep them
      if (chunk.payload.empty()) chunk.payload.assign(frame.payload.begin(), frame.payload.end());
      r.bytes = std::string_view(chunk.payload.data() + (r.bytes.data() - frame.payload.data()), r.bytes.size());
    }
    chunk.records[kept++] = r;
  }
  chunk.records.resize(kept);
  if (kept) {
    if (c.queued == 0) head_tsc_[cpu_id] = chunk.records.front().tsc;
    c.queued += kept;
    queued_ += kept;
    c.chunks.push_back(std::move(chunk));
  } else {
    spare_.push_back(std::move(chunk));
  }
  set_quiet(c, c.queued == 0 && !c.ended);
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

// Takes the record given last off its CPU's queue. True when the same CPU
// may give its next one at once: queued, no CPU waited for, and older than
// every other head (on a tie, the lower CPU id goes first).
bool LogScanner::take_given() {
  const auto g = static_cast<size_t>(given_cpu_);
  given_cpu_ = -1;
  Cpu& c = cpus_[g];
  Chunk& ch = c.chunks.front();
  --c.queued;
  --queued_;
  if (++ch.pos == ch.records.size()) {
    spare_.push_back(std::move(ch));
    c.chunks.pop_front();
  }
  if (c.queued == 0) {
    head_tsc_[g] = std::numeric_limits<uint64_t>::max();
    set_quiet(c, c.seen && !c.ended);
    return false;
  }
  const Chunk& front = c.chunks.front();
  head_tsc_[g] = front.records[front.pos].tsc;
  if (waiting_on_quiet_cpu()) return false;  // more input may bring an older record
  return head_tsc_[g] < run_limit_ || (head_tsc_[g] == run_limit_ && g < run_limit_cpu_);
}

const ScanRecord* LogScanner::give(size_t cpu) {
  given_cpu_ = static_cast<int>(cpu);
  const Chunk& front = cpus_[cpu].chunks.front();
  const ScanRecord* r = &front.records[front.pos];
  last_tsc_ = std::max(last_tsc_, r->tsc);
  return r;
}

const ScanRecord* LogScanner::next() {
  if (given_cpu_ >= 0) {
    const auto g = static_cast<size_t>(given_cpu_);
    if (take_given()) return give(g);  // a run of one CPU: no merge step
  }
  // Read until every CPU that may still speak has a record queued, the
  // window is full, or the log ends.
  while (!eof_ && (queued_ == 0 || waiting_on_quiet_cpu()) && queued_ < window_) read_slice();
  // Given without waiting for a quiet CPU: what it sends later may be older.
  if (!eof_ && waiting_on_quiet_cpu()) forced_ = true;
  if (queued_ == 0) return nullptr;
  // The oldest head, and the one after it: the run's limit.
  size_t best = 0, second = head_tsc_.size();
  for (size_t i = 1; i < head_tsc_.size(); ++i) {
    if (head_tsc_[i] < head_tsc_[best]) {
      second = best;
      best = i;
    } else if (second == head_tsc_.size() || head_tsc_[i] < head_tsc_[second]) {
      second = i;
    }
  }
  // An empty queue's head reads as the largest TSC, which a record may
  // also have: then every head ties and the first CPU may be an empty one.
  if (cpus_[best].queued == 0) {
    for (best = 0; cpus_[best].queued == 0; ++best) {
    }
    second = head_tsc_.size();
  }
  run_limit_ = second < head_tsc_.size() ? head_tsc_[second] : std::numeric_limits<uint64_t>::max();
  run_limit_cpu_ = second;
  return give(best);
}

}  // namespace nestrr::eventlog
