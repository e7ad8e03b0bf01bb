#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "ir/atomic_file.h"
#include "test_util.h"

using namespace edge;

TEST_CASE("atomic file: commit renames, abandon leaves nothing") {
  test::TempDir dir;
  {
    AtomicFile f(dir / "out.bin");
    f.write("hello");
    REQUIRE(test::count_entries(dir.path()) == 1);  // only the temporary file
    REQUIRE_FALSE(std::filesystem::exists(dir / "out.bin"));
    f.commit();
  }
  REQUIRE(test::read_bytes(dir / "out.bin") == "hello");
  {
    AtomicFile f(dir / "out.bin");
    f.write("partial");
  }  // destroyed without commit
  REQUIRE(test::read_bytes(dir / "out.bin") == "hello");
  REQUIRE(test::count_entries(dir.path()) == 1);
  REQUIRE_THROWS_WITH(AtomicFile(dir.path()), Catch::Contains("is a directory"));
  REQUIRE_THROWS_WITH(AtomicFile(dir / "no-such-dir" / "x"), Catch::Contains("does not exist"));
}

TEST_CASE("atomic file: SIGINT/SIGTERM during a write leave no partial file") {
  for (int sig : {SIGINT, SIGTERM}) {
    test::TempDir dir;
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      install_interrupt_cleanup();
      AtomicFile f(dir / "model.onnx");
      f.write(std::string(1 << 20, 'x'));
      raise(sig);
      _exit(0);  // not reached
    }
    int status = 0;
    waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 128 + sig);
    REQUIRE(test::count_entries(dir.path()) == 0);
  }
}
