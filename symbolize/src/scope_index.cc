#include "scope_index.h"

#include <dwarf.h>

#include <algorithm>

namespace nestrr::symbolize {

ScopeIndex::ScopeIndex(Dwarf_Die* cudie) {
  walk(cudie, -1, 0, nullptr);
  std::sort(entries_.begin(), entries_.end(), [this](const Entry& a, const Entry& b) {
    if (a.low != b.low) return a.low < b.low;
    return nodes_[a.node].depth < nodes_[b.node].depth;
  });
}

void ScopeIndex::walk(Dwarf_Die* parent_die, int parent_node, int depth, const Dwarf_Die* function) {
  Dwarf_Die child;
  if (dwarf_child(parent_die, &child) != 0) return;
  do {
    int tag = dwarf_tag(&child);
    int here = parent_node;
    const Dwarf_Die* inner_function = function;
    if (tag == DW_TAG_subprogram) {
      if (function) enclosing_[dwarf_dieoffset(&child)] = *function;
      inner_function = &child;
    }
    if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block) {
      Node n{child, parent_node, depth, tag == DW_TAG_subprogram, tag != DW_TAG_lexical_block, {}};
      Dwarf_Addr base, start, end;
      ptrdiff_t off = 0;
      while ((off = dwarf_ranges(&child, off, &base, &start, &end)) > 0)
        if (end > start) n.ranges.emplace_back(start, end);
      if (!n.ranges.empty()) {
        here = int(nodes_.size());
        for (auto& r : n.ranges) entries_.push_back({r.first, r.second, here});
        nodes_.push_back(std::move(n));
      }
    }
    // Scopes nest inside functions, lexical blocks, namespaces, classes.
    if (dwarf_haschildren(&child)) walk(&child, here, depth + 1, inner_function);
  } while (dwarf_siblingof(&child, &child) == 0);
}

bool ScopeIndex::contains(const Node& n, Dwarf_Addr pc) const {
  for (const auto& r : n.ranges)
    if (pc >= r.first && pc < r.second) return true;
  return false;
}

bool ScopeIndex::find(Dwarf_Addr pc, std::vector<Dwarf_Die>& out) const {
  out.clear();
  // The innermost scope holding pc is the last-starting entry at or below
  // pc, or one of its ancestors (scopes nest).
  auto it = std::upper_bound(entries_.begin(), entries_.end(), pc,
                             [](Dwarf_Addr a, const Entry& e) { return a < e.low; });
  if (it == entries_.begin()) return false;
  int node = std::prev(it)->node;
  while (node >= 0 && !contains(nodes_[node], pc)) node = nodes_[node].parent;
  // Ranges of a non-nested neighbour may hide the holder: look further back.
  if (node < 0) {
    auto back = std::prev(it);
    for (int steps = 0; steps < 64; steps++, --back) {
      if (pc < back->high) {
        node = back->node;
        break;
      }
      if (back == entries_.begin()) break;
    }
    if (node < 0) return false;
  }
  // Like a walk down from the function: every enclosing scope must hold
  // pc too, else the innermost is where that walk stops.
  std::vector<int> path;
  for (int n = node; n >= 0; n = nodes_[n].parent) path.push_back(n);
  int kept = int(path.size());
  while (kept > 0 && contains(nodes_[path[kept - 1]], pc)) kept--;
  for (int i = kept; i < int(path.size()); i++) {
    const Node& n = nodes_[path[i]];
    if (!n.reported) continue;
    out.push_back(n.die);
    if (n.subprogram) break;
  }
  return !out.empty();
}

bool ScopeIndex::enclosing_function(Dwarf_Die* die, Dwarf_Die* out) const {
  auto it = enclosing_.find(dwarf_dieoffset(die));
  if (it == enclosing_.end()) return false;
  *out = it->second;
  return true;
}

}  // namespace nestrr::symbolize
