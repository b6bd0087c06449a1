// A SNOW_WIRE struct with a std::function field: functions never cross nodes.
#include <functional>

#include "snow/wire.hpp"

struct Job {
  int id;
  std::function<void()> run;
};
SNOW_WIRE(Job, id, run)

int main() { return snow::encode(Job{1, [] {}}).ok() ? 0 : 1; }
