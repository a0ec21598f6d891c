// Scenario <-> core configuration <-> Header.scenario, and its options.
#include "nestrr/replay/scenario.h"

#include <charconv>
#include <stdexcept>

namespace nestrr::replay {
namespace {

constexpr uint32_t kL2ExitsPerLaunch = 2;
constexpr uint32_t kPalPages = 1;
constexpr const char* kWidenPrefix = "widen=";

uint64_t parse_u64(const std::string& s, const std::string& what) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty())
    throw std::invalid_argument("bad number '" + s + "' in " + what);
  return v;
}

}  // namespace

const char* workload_name(core_workload_kind kind) {
  switch (kind) {
    case CORE_WORKLOAD_IDLE: return "idle";
    case CORE_WORKLOAD_L1: return "l1";
    case CORE_WORKLOAD_PAL: return "pal";
    case CORE_WORKLOAD_REMAP: return "remap";
    case CORE_WORKLOAD_NMI: return "nmi";
  }
  return "unknown";
}

bool parse_workload(const std::string& name, core_workload_kind* out) {
  for (auto k : {CORE_WORKLOAD_IDLE, CORE_WORKLOAD_L1, CORE_WORKLOAD_PAL, CORE_WORKLOAD_REMAP,
                 CORE_WORKLOAD_NMI}) {
    if (name == workload_name(k)) {
      *out = k;
      return true;
    }
  }
  return false;
}

bool variant_needs_guest_nmis(core_variant variant) {
  return variant == CORE_VARIANT_NMI_INJECT_UNCHECKED || variant == CORE_VARIANT_NMI_VMCS_OVERWRITE;
}

Scenario default_scenario(core_variant variant, uint32_t cpus, uint64_t iterations) {
  Scenario s;
  s.variant = variant;
  s.iterations = iterations;
  core_workload_kind last = CORE_WORKLOAD_PAL;
  if (variant_needs_guest_nmis(variant)) last = CORE_WORKLOAD_NMI;
  for (uint32_t i = 0; i < cpus; ++i)
    s.workload.push_back(i + 1 == cpus && cpus > 1 ? last : CORE_WORKLOAD_L1);
  return s;
}

Widening parse_widening(const std::string& option) {
  if (option.rfind(kWidenPrefix, 0) != 0)
    throw std::invalid_argument("not a widen= option: '" + option + "'");
  std::string spec = option.substr(std::char_traits<char>::length(kWidenPrefix));
  auto colon = spec.find(':');
  if (colon == std::string::npos)
    throw std::invalid_argument("widen wants POINT:NANOSECONDS, got '" + spec + "'");
  std::string point = spec.substr(0, colon);
  Widening w;
  w.point = point == "vmxon" ? CORE_POINT_VMXON_SET_ROOT
                             : static_cast<uint32_t>(parse_u64(point, option));
  w.nanoseconds = parse_u64(spec.substr(colon + 1), option);
  if (w.point == CORE_POINT_NONE) throw std::invalid_argument("widen: point 0 is no point");
  return w;
}

Widening scenario_widening(const Scenario& s) {
  Widening w;
  for (const auto& o : s.options)
    if (o.rfind(kWidenPrefix, 0) == 0) w = parse_widening(o);
  return w;
}

void check_options(const Scenario& s) {
  for (const auto& o : s.options) {
    if (o.rfind(kWidenPrefix, 0) == 0)
      parse_widening(o);
    else
      throw std::invalid_argument("unknown scenario option '" + o + "'");
  }
}

core_config to_core_config(const Scenario& s) {
  if (s.workload.empty() || s.workload.size() > CORE_MAX_CPUS)
    throw std::invalid_argument("scenario needs 1.." + std::to_string(CORE_MAX_CPUS) + " CPUs");
  core_config cfg{};
  cfg.cpu_count = s.cpu_count();
  cfg.variant = s.variant;
  cfg.l1_mem_size = 4ull << 20;
  uint32_t iters = s.iterations == 0 || s.iterations > UINT32_MAX
                       ? UINT32_MAX
                       : static_cast<uint32_t>(s.iterations);
  for (uint32_t i = 0; i < cfg.cpu_count; ++i) {
    cfg.workload[i].kind = s.workload[i];
    cfg.workload[i].iterations = iters;
    cfg.workload[i].l2_exits = kL2ExitsPerLaunch;
    cfg.workload[i].pal_pages = kPalPages;
  }
  return cfg;
}

nestrr::v1::Scenario to_proto(const Scenario& s) {
  nestrr::v1::Scenario p;
  p.set_variant(core_variant_name(s.variant));
  p.set_seed(s.seed);
  for (auto w : s.workload) p.add_cpu_workload(workload_name(w));
  p.set_iterations(s.iterations);
  for (const auto& o : s.options) p.add_option(o);
  p.set_origin(s.origin);
  return p;
}

Scenario from_proto(const nestrr::v1::Scenario& p) {
  Scenario s;
  if (!core_variant_parse(p.variant().data(), p.variant().size(), &s.variant))
    throw std::invalid_argument("unknown core variant '" + p.variant() + "'");
  s.seed = p.seed();
  for (const auto& name : p.cpu_workload()) {
    core_workload_kind k;
    if (!parse_workload(name, &k)) throw std::invalid_argument("unknown workload '" + name + "'");
    s.workload.push_back(k);
  }
  if (s.workload.empty() || s.workload.size() > CORE_MAX_CPUS)
    throw std::invalid_argument("scenario has " + std::to_string(s.workload.size()) +
                                " CPUs, want 1.." + std::to_string(CORE_MAX_CPUS));
  s.iterations = p.iterations();
  s.options.assign(p.option().begin(), p.option().end());
  s.origin = p.origin();
  check_options(s);
  return s;
}

}  // namespace nestrr::replay
