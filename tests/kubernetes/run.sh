#!/usr/bin/env bash
# deploy/kubernetes/ against the Kubernetes API's schemas (validate.mjs): every manifest passes, and copies of
# the chat StatefulSet with one wrong field each (a misspelt field at the top, one deep in the pod template,
# a port given as a name where the API wants a number, an unknown kind) are refused, naming the field.
# The validator's packages are pinned by package-lock.json; scripts/install-deps.sh --test installs them here.
# usage: run.sh SOURCE_DIR
set -euo pipefail
source_dir=$1
here=$(cd "$(dirname "$0")" && pwd)
manifests=$source_dir/deploy/kubernetes
fail() { echo "FAIL: $*" >&2; exit 1; }
if ! cmp -s "$here/package-lock.json" "$here/node_modules/.lanchat-lock"; then
  fail "the validator's npm packages are missing or older than package-lock.json: run scripts/install-deps.sh --test"
fi

node "$here/validate.mjs" "$manifests"/*.yaml || fail "deploy/kubernetes/ does not match the Kubernetes schemas"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
statefulset=$manifests/chat-statefulset.yaml
# refused FILE EXPECTED: the validator refuses FILE and says EXPECTED.
refused() {
  local said
  if said=$(node "$here/validate.mjs" "$1"); then fail "$(basename "$1") was accepted: $said"; fi
  grep -qF "$2" <<<"$said" || fail "$(basename "$1") was refused without saying '$2': $said"
  echo "refused as it should be: $(basename "$1"): $2"
}
sed 's/^  replicas: 3$/  replica: 3/' "$statefulset" >"$work/misspelt-field.yaml"
refused "$work/misspelt-field.yaml" "StatefulSet.spec.replica: unknown field"
sed 's/readinessProbe:/readynessProbe:/' "$statefulset" >"$work/misspelt-deep-field.yaml"
refused "$work/misspelt-deep-field.yaml" "StatefulSet.spec.template.spec.containers[0].readynessProbe: unknown field"
sed '0,/containerPort: 7443/s//containerPort: mesh/' "$statefulset" >"$work/wrong-type.yaml"
refused "$work/wrong-type.yaml" "spec/template/spec/containers/0/ports/0/containerPort must be integer"
sed 's/^kind: StatefulSet$/kind: StatefulSett/' "$statefulset" >"$work/unknown-kind.yaml"
refused "$work/unknown-kind.yaml" "no schema for apiVersion apps/v1, kind StatefulSett"
