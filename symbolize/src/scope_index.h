// Per-CU index of the DWARF scopes (functions and inlined calls) by
// address: one walk of the CU's DIEs, then a binary search per lookup,
// instead of a DIE walk per address.
#pragma once

#include <elfutils/libdw.h>

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace nestrr::symbolize {

class ScopeIndex {
 public:
  explicit ScopeIndex(Dwarf_Die* cudie);
  // Scopes holding `pc` (a DWARF address), innermost first, ending with
  // the subprogram. False if no indexed scope holds it.
  bool find(Dwarf_Addr pc, std::vector<Dwarf_Die>& out) const;
  // The function whose body holds the definition of subprogram `die` (a
  // lambda's or local class's method), if any.
  bool enclosing_function(Dwarf_Die* die, Dwarf_Die* out) const;

 private:
  struct Node {
    Dwarf_Die die;
    int parent;  // index into nodes_, -1 at top
    int depth;
    bool subprogram;
    bool reported;  // a function or inlined call (lexical blocks only bound)
    std::vector<std::pair<Dwarf_Addr, Dwarf_Addr>> ranges;
  };
  struct Entry {
    Dwarf_Addr low, high;
    int node;
  };
  void walk(Dwarf_Die* parent_die, int parent_node, int depth, const Dwarf_Die* function);
  bool contains(const Node& n, Dwarf_Addr pc) const;
  std::vector<Node> nodes_;
  std::vector<Entry> entries_;  // by low, then depth
  std::unordered_map<Dwarf_Off, Dwarf_Die> enclosing_;
};

}  // namespace nestrr::symbolize
