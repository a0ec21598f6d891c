// Ground truth for noisy round trips (see noise_truth.h).
#include "nestrr/eventlog/noise_truth.h"

#include "nestrr.pb.h"
#include "nestrr/eventlog/frame_reader.h"
#include "nestrr/eventlog/chunk_events.h"

namespace nestrr::eventlog {
namespace {

class SpanCollector : public FrameSink {
 public:
  void on_frame(const Frame& f) override {
    FrameSpan s;
    s.offset = f.offset;
    s.length = f.length;
    nestrr::v1::Packet p;
    if (p.ParseFromArray(f.payload.data(), static_cast<int>(f.payload.size())) &&
        chunk_records(p) > 0) {
      s.is_chunk = true;
      s.cpu = p.cpu();
      s.first_seq = p.first_seq();
      s.records = chunk_records(p);
    }
    spans.push_back(s);
  }
  void on_text(const TextLine&) override {}
  void on_damage(const Damage&) override {}
  std::vector<FrameSpan> spans;
};

std::string name(const RecordId& id) {
  return "cpu" + std::to_string(id.first) + " #" + std::to_string(id.second);
}

}  // namespace

std::vector<FrameSpan> frame_spans(std::string_view clean) {
  SpanCollector sink;
  FrameReader reader(sink);
  reader.feed(clean);
  reader.finish();
  return std::move(sink.spans);
}

RunParts split_run(std::string_view stream) {
  const std::vector<FrameSpan> spans = frame_spans(stream);
  const size_t head_end = spans.empty() ? 0 : spans.front().offset + spans.front().length;
  size_t tail_begin = stream.size();
  for (auto it = spans.rbegin(); it != spans.rend() && !it->is_chunk; ++it) tail_begin = it->offset;
  if (tail_begin < head_end) tail_begin = head_end;
  RunParts p;
  p.head = std::string(stream.substr(0, head_end));
  p.body = std::string(stream.substr(head_end, tail_begin - head_end));
  p.tail = std::string(stream.substr(tail_begin));
  return p;
}

NoiseTruth noise_truth(std::string_view clean, const std::vector<uint64_t>& damaged) {
  std::set<uint64_t> hits(damaged.begin(), damaged.end());
  NoiseTruth t;
  for (const FrameSpan& f : frame_spans(clean)) {
    t.frames++;
    auto it = hits.lower_bound(f.offset);
    // Hits on the "~N" mark or the final '\n' may or may not cost the frame:
    // a following '~' also ends it, and the reader repairs a damaged mark.
    auto body = hits.lower_bound(f.offset + 2);
    const bool hit_body = body != hits.end() && *body + 1 < f.offset + f.length;
    const bool hit_any = it != hits.end() && *it < f.offset + f.length;
    if (hit_body) t.frames_hit++;
    else if (hit_any) t.frames_hit_newline++;
    if (!f.is_chunk) continue;
    t.records += f.records;
    if (hit_body) t.records_hit += f.records;
    for (uint64_t k = 0; k < f.records; k++) {
      RecordId id{f.cpu, f.first_seq + k};
      if (!hit_any) t.must_survive.insert(id);
      if (!hit_body) t.may_survive.insert(id);
    }
  }
  return t;
}

TruthCheck check_against_truth(const Log& noisy, const NoiseTruth& truth) {
  TruthCheck c;
  std::set<RecordId> got;
  for (const auto& s : noisy.streams)
    for (const auto& e : s.events) got.insert({s.cpu, e.seq});
  c.records_kept = got.size();
  c.records_lost_reported = noisy.stats.records_lost_transport;
  for (const RecordId& id : truth.must_survive) {
    if (!got.count(id))
      c.problems.push_back(name(id) + " lost although no noise hit its frame");
  }
  for (const RecordId& id : got) {
    if (!truth.may_survive.count(id))
      c.problems.push_back(name(id) + " kept although its frame was hit");
  }
  if (c.records_kept + c.records_lost_reported != truth.records) {
    c.problems.push_back(std::to_string(c.records_kept) + " records kept + " +
                         std::to_string(c.records_lost_reported) + " reported lost != " +
                         std::to_string(truth.records) + " written");
  }
  c.exact = c.problems.empty();
  return c;
}

}  // namespace nestrr::eventlog
