// How the checker reaches the events its state and findings name (by
// EventRef), and their places in the timeline: the whole log at hand, or a
// log read front to back, where only the event being stepped and copies of
// the named ones are held.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "lost_index.h"
#include "nestrr/eventlog/log.h"

namespace nestrr::check::detail {

namespace el = eventlog;

// Where the checker finds the events its state and findings name, and
// their place in the timeline.
class EventAccess {
 public:
  virtual ~EventAccess() = default;
  virtual const el::Event& at(el::EventRef ref) const = 0;
  virtual uint64_t position(el::EventRef ref) const = 0;
  // The checker will name `ref`, the event being stepped, after this step.
  virtual void keep(el::EventRef ref) = 0;
};

// A whole log: every event at hand.
class WholeLogAccess : public EventAccess {
 public:
  WholeLogAccess(const el::Log& log, const TimelinePositions& position)
      : log_(log), position_(position) {}
  const el::Event& at(el::EventRef ref) const override { return log_.at(ref); }
  uint64_t position(el::EventRef ref) const override { return position_(ref); }
  void keep(el::EventRef) override {}

 private:
  const el::Log& log_;
  const TimelinePositions& position_;
};

// A log read front to back: the event being stepped, and copies of those
// the state or a finding names, dropped once nothing names them.
class StreamAccess : public EventAccess {
 public:
  explicit StreamAccess(size_t collect_at) : collect_at_(collect_at), next_collect_(collect_at) {}
  void step(el::EventRef ref, const el::Event* event, uint64_t position) {
    current_ref_ = ref;
    current_ = event;
    current_position_ = position;
  }
  const el::Event& at(el::EventRef ref) const override {
    if (ref == current_ref_) return *current_;
    return kept_.at(key(ref)).event;
  }
  uint64_t position(el::EventRef ref) const override {
    if (ref == current_ref_) return current_position_;
    return kept_.at(key(ref)).position;
  }
  void keep(el::EventRef ref) override {
    if (ref == current_ref_ && !kept_.count(key(ref))) kept_.emplace(key(ref), Kept{*current_, current_position_});
  }
  // Drops what `live` does not name, once enough was kept since the last time.
  template <typename Live>
  void collect(const Live& live) {
    if (kept_.size() < next_collect_) return;
    std::unordered_set<uint64_t> named;
    live([&](el::EventRef ref) { named.insert(key(ref)); });
    std::erase_if(kept_, [&](const auto& k) { return !named.count(k.first); });
    next_collect_ = std::max<size_t>(collect_at_, 2 * kept_.size());
  }
  // The copies left, among them every event a finding names.
  std::map<std::pair<uint32_t, uint32_t>, el::Event> take() {
    std::map<std::pair<uint32_t, uint32_t>, el::Event> out;
    for (auto& [k, v] : kept_) out.emplace(std::make_pair(uint32_t(k >> 32), uint32_t(k)), std::move(v.event));
    return out;
  }

 private:
  struct Kept {
    el::Event event;
    uint64_t position;
  };
  static uint64_t key(el::EventRef ref) { return uint64_t{ref.stream} << 32 | ref.index; }
  el::EventRef current_ref_{UINT32_MAX, UINT32_MAX};
  const el::Event* current_ = nullptr;
  uint64_t current_position_ = 0;
  std::unordered_map<uint64_t, Kept> kept_;
  const size_t collect_at_;
  size_t next_collect_;
};

}  // namespace nestrr::check::detail
