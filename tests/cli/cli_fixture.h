// What the end-to-end tests of the `nestrr` command share: a scratch
// directory per test, running a shell line with $NESTRR standing for the
// binary, and small logs written record by record.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "nestrr/eventlog/writer.h"
#include "run_command.h"

namespace nestrr::test_cli {

class CliDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("nestrr-cli-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  CliResult sh(const std::string& cmd) { return run_in(dir_, "NESTRR='" NESTRR_BIN "' && " + cmd); }

  std::filesystem::path write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
    return dir_ / name;
  }
  std::string read(const std::string& name) { return slurp(dir_ / name); }

  // Header (2 CPUs unless told), console text, each CPU's records as one
  // chunk, trailers: the bytes of a log.
  static std::string log_bytes(const std::vector<std::vector<nestrr::v1::Record>>& cpus,
                               uint32_t header_cpus = 0, bool trailers = true) {
    std::string out;
    nestrr::eventlog::StreamWriter w([&](std::string_view b) { out.append(b); });
    nestrr::v1::Header h;
    h.set_format_version(3);
    h.set_cpu_count(header_cpus ? header_cpus : static_cast<uint32_t>(cpus.size()));
    h.set_tsc_hz(1000000000);
    h.set_sink(nestrr::v1::Header::SINK_STREAM);
    w.header(h);
    w.text("XMHF: booting");
    for (uint32_t c = 0; c < cpus.size(); ++c)
      if (!cpus[c].empty()) w.chunk(c, 0, 5000 + c, cpus[c]);
    if (trailers)
      for (uint32_t c = 0; c < cpus.size(); ++c) w.trailer(c, cpus[c].size());
    return out;
  }

  static std::vector<nestrr::v1::Record> exits(size_t n) {
    std::vector<nestrr::v1::Record> v(n);
    for (auto& r : v) {
      r.set_dt(1000);
      r.mutable_vm_exit()->set_reason(10);
    }
    return v;
  }

  static nestrr::v1::Record mode(nestrr::v1::VmxMode from, nestrr::v1::VmxMode to) {
    nestrr::v1::Record r;
    r.set_dt(100);
    r.mutable_vmx_mode_change()->set_old_mode(from);
    r.mutable_vmx_mode_change()->set_new_mode(to);
    return r;
  }

  std::filesystem::path dir_;
};

}  // namespace nestrr::test_cli
