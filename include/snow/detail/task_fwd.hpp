// snow/detail/task_fwd.hpp: Task's declaration with its default arguments, which C++ lets
// a program give only once: snow/fwd.hpp and snow/proc.hpp (which defines Task) both
// include this, and nothing else of fwd.hpp reaches proc.hpp's users.
#pragma once

namespace snow {

struct ProcessFrames;
template <class T = void, class Frames = ProcessFrames>
class Task;

}  // namespace snow
