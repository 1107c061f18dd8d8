#include <doctest/doctest.h>

#include "kernels/ops.h"

TEST_CASE("device count is never negative and is 0 without CUDA") {
  int count = rg_cuda_device_count();
  CHECK(count >= 0);
  if (!rg::kernels::built_with_cuda()) CHECK(count == 0);
  MESSAGE("CUDA built: " << rg::kernels::built_with_cuda() << ", devices: " << count);
}
