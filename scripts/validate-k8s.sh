#!/usr/bin/env bash
# Validates examples/cluster/k8s/render-job.yaml against the Kubernetes batch/v1 Job schema with
# the npm package kubernetes-models (the OpenAPI schemas of Kubernetes, checked by ajv), then
# shows that the validator has teeth: the same manifest with a required field removed must fail.
# Installs the validator into a temporary folder outside the repository (or $K3_K8S_TOOLS).
#   bash scripts/validate-k8s.sh [manifest.yaml]
set -euo pipefail
cd "$(dirname "$0")/.."
MANIFEST=$(realpath "${1:-examples/cluster/k8s/render-job.yaml}")
TOOLS=${K3_K8S_TOOLS:-${TMPDIR:-/tmp}/k3anim-k8s-validator}
mkdir -p "$TOOLS"
if [ ! -d "$TOOLS/node_modules/kubernetes-models" ] || [ ! -d "$TOOLS/node_modules/js-yaml" ]; then
  (cd "$TOOLS" && npm init -y >/dev/null && npm install --no-audit --no-fund kubernetes-models@4.5.1 js-yaml@4 >/dev/null)
fi
echo "validator: kubernetes-models $(node -p "require('$TOOLS/node_modules/kubernetes-models/package.json').version"), node $(node --version)"
cd "$TOOLS"
node - "$MANIFEST" <<'JS'
const fs = require("fs");
const yaml = require("js-yaml");
const { Job } = require("kubernetes-models/batch/v1");
const path = process.argv[2];
const manifest = yaml.load(fs.readFileSync(path, "utf8"));

function validate(label, object) {
  try {
    new Job(object).validate();
    console.log(`${label}: valid batch/v1 Job`);
    return true;
  } catch (e) {
    const details = (e.errors || []).map((x) => `${x.instancePath || "/"} ${x.message}`).join("; ");
    console.log(`${label}: INVALID: ${details || e.message}`);
    return false;
  }
}
function without(object, dotted) {
  const copy = JSON.parse(JSON.stringify(object));
  const keys = dotted.split(".");
  let node = copy;
  for (const k of keys.slice(0, -1)) node = node[k];
  delete node[keys[keys.length - 1]];
  return copy;
}

let ok = validate(path, manifest);
if (manifest.kind !== "Job" || manifest.spec.completionMode !== "Indexed") {
  console.log("expected an Indexed Job"); ok = false;
}
// Required by the schema: a Job's pod template; a container's name; a podFailurePolicy's rules.
for (const field of ["spec.template", "spec.template.spec.containers.0.name", "spec.podFailurePolicy.rules"]) {
  if (validate(`${path} without ${field}`, without(manifest, field))) {
    console.log(`expected the manifest without ${field} to fail`); ok = false;
  }
}
console.log(ok ? "validate-k8s: PASSED" : "validate-k8s: FAILED");
process.exit(ok ? 0 : 1);
JS
