#!/usr/bin/env bash
# Bootstrap: restore the pinned Cake tool, then run build/build.cake with every argument.
#   ./build.sh                 whole pipeline (Default target)
#   ./build.sh --target=Test   build and run the tests
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "build.sh: the .NET SDK (dotnet) is not on PATH; install the SDK that global.json names." >&2
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

dotnet tool restore
dotnet cake build/build.cake "$@"
