#!/usr/bin/env bash
# Checks that every C and C++ source in the tree is laid out as .clang-format says (Debian's clang-format 14).
# The frozen ABI 1.0 header under tests/compat/ is kept byte for byte as it shipped, so it is not checked.
# With --fix, reformats the files instead of reporting them.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t files < <(git ls-files '*.c' '*.h' '*.cpp' '*.hpp' | grep -v '^tests/compat/v1_0/')
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
unformatted=()
for file in "${files[@]}"; do
  clang-format --dry-run -Werror "$file" >/dev/null 2>&1 || unformatted+=("$file")
done
if [ "${#unformatted[@]}" -ne 0 ]; then
  echo "check-format: ${#unformatted[@]} file(s) differ from .clang-format; run scripts/check-format.sh --fix:" >&2
  printf '  %s\n' "${unformatted[@]}" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files follow .clang-format"
