// Name resolution: whether a bare capitalised name in a pattern binds or is a variant
// (settled once, Pat::binds), program-wide names across modules, and the names it
// cannot resolve.
#include <doctest/doctest.h>

#include <array>

#include "dsl/modules.hpp"
#include "snowc_harness.hpp"

using snowc::PK;
using snowc_test::compile;
using snowc_test::Stage;

namespace {

/// The patterns of the arms of the first `case` in `main`.
std::vector<snowc::PatP> arm_patterns(const snowc::Program& p) {
  for (const auto& it : p.items) {
    if (it.kind != snowc::Item::fn || it.fn_group->name != "main") continue;
    for (const auto& st : it.fn_group->clauses[0]->body) {
      if (st->expr && st->expr->kind == snowc::EK::case_) {
        std::vector<snowc::PatP> out;
        for (const auto& a : st->expr->arms) out.push_back(a.pat);
        return out;
      }
    }
  }
  return {};
}

/// A program of modules: `entry` is the entry module, `others` are {name, file, source},
/// dependencies first; linked as snowc links them (without the file system).
struct Linked {
  std::unique_ptr<snowc::Diagnostics> diags;
  snowc::Program program;
};
Linked link(const std::string& entry, const std::vector<std::array<std::string, 3>>& others) {
  Linked l;
  l.diags = std::make_unique<snowc::Diagnostics>("main.snow", entry);
  std::vector<snowc::Module> modules;
  for (const auto& [name, file, source] : others) {
    snowc::Module m;
    m.name = name;
    m.shown = file;
    m.file = l.diags->add_file(file, source);
    m.program = snowc::parse(source, file, *l.diags, m.file);
    modules.push_back(std::move(m));
  }
  snowc::Module main;
  main.shown = "main.snow";
  main.program = snowc::parse(entry, "main.snow", *l.diags, 0);
  modules.push_back(std::move(main));
  l.program = snowc::link_modules(modules, *l.diags);
  return l;
}

}  // namespace

TEST_CASE("resolution: a bare name that is a variant in scope matches that variant") {
  const auto c = compile(
      "type Color do\n  Red\n  Green\nend\nfn main() do\n  case Red do\n    Red -> 1\n    Green -> 2\n  end\nend\n",
      Stage::resolve);
  REQUIRE(c.codes().empty());
  const auto pats = arm_patterns(c.program);
  REQUIRE(pats.size() == 2);
  CHECK(pats[0]->kind == PK::ctor);
  CHECK_FALSE(pats[0]->binds);
  CHECK_FALSE(pats[1]->binds);
}

TEST_CASE("resolution: a bare capitalised name that is no variant binds like a variable") {
  const auto c = compile("fn main() do\n  case 1 do\n    Other -> Other\n  end\nend\n", Stage::resolve);
  const auto pats = arm_patterns(c.program);
  REQUIRE(pats.size() == 1);
  CHECK(pats[0]->binds);
}

TEST_CASE("resolution: built-in variants (Option, Result, ExitReason) are variants, not bindings") {
  const auto c = compile("fn main() do\n  case 1 do\n    None -> 1\n    Normal -> 2\n    Less -> 3\n  end\nend\n",
                         Stage::resolve);
  for (const auto& p : arm_patterns(c.program)) CHECK_FALSE(p->binds);
}

TEST_CASE("resolution: a qualified or applied constructor never binds") {
  const auto c = compile(
      "type Shape do\n  Dot\n  Circle(Float)\nend\nfn main() do\n  case 1 do\n    Shape.Dot -> 1\n    Circle(r) -> 2\n    Mystery(x) -> 3\n  end\nend\n",
      Stage::resolve);
  for (const auto& p : arm_patterns(c.program)) CHECK_FALSE(p->binds);
}

TEST_CASE("resolution: the record is what the checker reads (no second decision)") {
  const char* source = "type Color do\n  Red\n  Green\nend\nfn f(c) do\n  case c do\n    Red -> 1\n  end\nend\nfn main() do\n  f(Red)\nend\n";
  auto c = compile(source, Stage::resolve);
  REQUIRE(c.codes().empty());
  {
    snowc::Diagnostics d("test.snow", source);
    (void)snowc::check(c.program, d);
    REQUIRE(d.all().size() == 1);
    CHECK(d.all()[0].code == "E0012");  // `Green` is missing
  }
  // Marked as a binding, the same arm is a catch-all: the checker follows the record.
  for (const auto& it : c.program.items) {
    if (it.kind == snowc::Item::fn && it.fn_group->name == "f") it.fn_group->clauses[0]->body[0]->expr->arms[0].pat->binds = true;
  }
  snowc::Diagnostics d("test.snow", source);
  (void)snowc::check(c.program, d);
  CHECK(d.all().empty());
}

TEST_CASE("resolution: items of another module get program-wide names where they are used") {
  const auto l = link("import Geo\nfn main() do\n  println(Geo.area(2))\nend\n",
                      {{{"Geo", "geo.snow", "pub fn area(r) = r * r\n"}}});
  REQUIRE(l.diags->all().empty());
  bool renamed = false;
  for (const auto& it : l.program.items) {
    if (it.kind == snowc::Item::fn && it.fn_group->name == "Geo.area") renamed = true;
  }
  CHECK(renamed);
}

TEST_CASE("resolution: a variant of another module is one only where it is in scope") {
  const char* paint = "pub type Color do\n  Red\n  Green\nend\n";
  const char* entry_body = "fn main() do\n  case 1 do\n    Red -> 1\n  end\nend\n";
  const auto imported = link(std::string("from Paint import Color\n") + entry_body, {{{"Paint", "paint.snow", paint}}});
  REQUIRE(imported.diags->all().empty());
  auto pats = arm_patterns(imported.program);
  REQUIRE(pats.size() == 1);
  CHECK_FALSE(pats[0]->binds);
  CHECK(pats[0]->name == "Paint.Red");

  const auto not_imported = link(std::string("import Paint\n") + entry_body, {{{"Paint", "paint.snow", paint}}});
  pats = arm_patterns(not_imported.program);
  REQUIRE(pats.size() == 1);
  CHECK(pats[0]->binds);
  CHECK(pats[0]->name == "Red");
}

TEST_CASE("resolution: an unknown member of a module (E0034) and a private one (E0035)") {
  const auto l = link("import Geo\nfn main() do\n  Geo.volume(1)\n  Geo.secret(1)\nend\n",
                      {{{"Geo", "geo.snow", "pub fn area(r) = r * r\nfn secret(x) = x\n"}}});
  const auto& all = l.diags->all();
  REQUIRE(all.size() == 2);
  CHECK(all[0].code == "E0034");
  CHECK(all[0].message == "`volume` not found in module `Geo`");
  CHECK(all[0].span.line == 3);
  CHECK(all[1].code == "E0035");
  CHECK(all[1].hint == "item is private; add `pub`");
}

TEST_CASE("resolution: a local name shadows a top-level one of the same name") {
  const auto l = link("from Geo import area\nfn main() do\n  let area = 1\n  println(area)\nend\n",
                      {{{"Geo", "geo.snow", "pub fn area(r) = r * r\n"}}});
  REQUIRE(l.diags->all().empty());
  const snowc::Stmt* print = nullptr;
  for (const auto& it : l.program.items) {
    if (it.kind == snowc::Item::fn && it.fn_group->name == "main") print = it.fn_group->clauses[0]->body[1].get();
  }
  REQUIRE(print != nullptr);
  CHECK(print->expr->kids[1]->name == "area");  // not Geo.area
}
