// Wire types shared by the wire tests.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "snow/wire.hpp"

namespace wiretest {

struct Point {
  std::int64_t x = 0;
  std::int64_t y = 0;
  friend bool operator==(const Point&, const Point&) = default;
};
SNOW_WIRE(Point, x, y)

struct Empty {
  friend bool operator==(const Empty&, const Empty&) = default;
};
SNOW_WIRE(Empty)

struct Circle {
  double r = 0;
  friend bool operator==(const Circle&, const Circle&) = default;
};
SNOW_WIRE(Circle, r)
struct Rect {
  double w = 0, h = 0;
  friend bool operator==(const Rect&, const Rect&) = default;
};
SNOW_WIRE(Rect, w, h)
struct Dot {
  friend bool operator==(const Dot&, const Dot&) = default;
};
SNOW_WIRE(Dot)
struct Shape : std::variant<Circle, Rect, Dot> {
  using variant::variant;
};
SNOW_WIRE_SUM(Shape)

struct Order {
  std::int64_t id = 0;
  std::string name;
  std::vector<Point> points;
  std::optional<std::string> note;
  std::map<std::string, std::int64_t> tags;
  Shape shape;
  friend bool operator==(const Order&, const Order&) = default;
};
SNOW_WIRE(Order, id, name, points, note, tags, shape)

namespace geo {
struct Home {
  friend bool operator==(const Home&, const Home&) = default;
};
SNOW_WIRE(geo::Home)  // a qualified name: the variant is still called Home
struct Kind : std::variant<Home> {
  using variant::variant;
};
SNOW_WIRE_SUM(Kind)
struct Place {
  std::string name;
  Kind kind;
  friend bool operator==(const Place&, const Place&) = default;
};
SNOW_WIRE(Place, name, kind)
}  // namespace geo

// A recursive type: a wire type from its declaration on.
struct Tree {
  std::int64_t value = 0;
  std::vector<Tree> children;
  friend bool operator==(const Tree&, const Tree&) = default;
};
SNOW_WIRE(Tree, value, children)

struct NotWire {
  int x;
};

}  // namespace wiretest
