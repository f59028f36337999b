import pytest

# Show a full diff of the traces when a scenario fails (the assert lives in the harness).
pytest.register_assert_rewrite("compat_tests.harness")
