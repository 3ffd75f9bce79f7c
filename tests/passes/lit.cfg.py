# lit configuration of the IR-in/IR-out pass tests (*.mgir). Each file's RUN lines
# run minigrad-opt (or minigradc) and pipe the result into FileCheck. CTest runs
# one lit invocation per file (tests/passes/CMakeLists.txt) and passes the tools'
# paths as parameters:
#   lit.py --param minigrad_opt=PATH --param minigradc=PATH --param filecheck=PATH \
#          --param exec_root=DIR tests/passes/FILE.mgir
import os

import lit.formats

config.name = "minigrad-passes"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mgir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = lit_config.params.get("exec_root", os.path.join(config.test_source_root, "Output"))

for tool in ("minigrad_opt", "minigradc", "filecheck"):
    if tool not in lit_config.params:
        lit_config.fatal(f"missing --param {tool}=PATH")

# Longest names first, so that "minigrad-opt" is not read as part of another name.
config.substitutions.append(("minigrad-opt", lit_config.params["minigrad_opt"]))
config.substitutions.append(("minigradc", lit_config.params["minigradc"]))
config.substitutions.append(("FileCheck", lit_config.params["filecheck"]))
# %{srcroot}: the repository, for the bundled data (data/mnist10k).
# (A copy of a test run from elsewhere, by without_pass.py, passes it as --param srcroot.)
config.substitutions.append(
    ("%{srcroot}", lit_config.params.get("srcroot", os.path.dirname(os.path.dirname(config.test_source_root)))))
