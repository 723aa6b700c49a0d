// Validates Kubernetes manifests: node validate.mjs <folder> [extra.yaml ...], or node validate.mjs <built.yaml>
// The files are kustomization.yaml's resources, plus the extra ones named; or every document of one file. Each document is checked twice:
//  - against its JSON schema (kubernetes-models, generated from Kubernetes' OpenAPI, and from prometheus-operator's
//    CRDs): types, enums, required fields;
//  - by TypeScript against the same models' types, as an object literal: a field the API does not know (a typo such as
//    "replica:", a field at the wrong level) is an error there, where the schemas would let it pass.
// YAML is read as kubectl reads it (YAML 1.1: 0440 is octal). Prints one line per problem; exits 1 on any.
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const here = path.dirname(fileURLToPath(import.meta.url));
const MODELS = {
  "v1/ConfigMap": ["kubernetes-models/v1/ConfigMap", "ConfigMap"],
  "v1/Secret": ["kubernetes-models/v1/Secret", "Secret"],
  "v1/Service": ["kubernetes-models/v1/Service", "Service"],
  "apps/v1/Deployment": ["kubernetes-models/apps/v1/Deployment", "Deployment"],
  "policy/v1/PodDisruptionBudget": ["kubernetes-models/policy/v1/PodDisruptionBudget", "PodDisruptionBudget"],
  "monitoring.coreos.com/v1/ServiceMonitor":
    ["@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor", "ServiceMonitor"],
  "monitoring.coreos.com/v1/PrometheusRule":
    ["@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule", "PrometheusRule"],
};

const [folder, ...extra] = process.argv.slice(2);
const problems = [];
const read = (file) => {
  const docs = parseAllDocuments(fs.readFileSync(file, "utf8"), { version: "1.1" });
  return docs.flatMap((doc) => {
    doc.errors.forEach((error) => problems.push(`${file}: ${error.message}`));
    const value = doc.toJS();
    return value == null ? [] : [value];
  });
};

// a folder: kustomization.yaml's resources and the extra files; a file: its documents (kubectl kustomize's output)
const files = fs.statSync(folder).isDirectory()
  ? [...read(path.join(folder, "kustomization.yaml"))[0].resources, ...extra].map((name) => path.join(folder, name))
  : [folder];
const checked = [];
for (const file of files) {
  for (const resource of read(file)) {
    const key = `${resource.apiVersion}/${resource.kind}`;
    const model = MODELS[key];
    if (!model) {
      problems.push(`${file}: ${key} is not a kind this check knows`);
      continue;
    }
    const module = await import(model[0]);
    try {
      new module[model[1]](resource).validate();
    } catch (error) {
      problems.push(`${file}: ${key} ${resource.metadata?.name}: ${error.message}`);
    }
    checked.push({ file, key, model, resource });
  }
}

// the types: one object literal per resource
const source = checked.map(({ model, resource }, index) =>
  `import type { I${model[1]} as T${index} } from "${model[0]}";\n`
  + `export const r${index}: T${index} = ${JSON.stringify(resource, null, 2)};\n`).join("\n");
// written under node_modules (where its imports resolve), never beside the sources
const checks = path.join(here, "node_modules", ".qr-refresher-checks");
fs.mkdirSync(checks, { recursive: true });
const check = path.join(checks, `check-${process.pid}.ts`);
fs.writeFileSync(check, source);
try {
  execFileSync(process.execPath, [path.join(here, "node_modules/typescript/bin/tsc"), "--noEmit", "--strict",
    "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--skipLibCheck", check],
  { cwd: here, encoding: "utf8" });
} catch (error) {
  const lines = `${error.stdout ?? ""}${error.stderr ?? ""}`.trim().split("\n");
  // name the file of each error: the literal of resource N is after the N-th export
  const starts = [...source.matchAll(/^export const r(\d+)/gm)].map((m) => source.slice(0, m.index).split("\n").length);
  for (const line of lines) {
    const at = /\.ts\((\d+),\d+\): (.*)$/.exec(line);
    if (at) {
      const index = starts.filter((start) => start <= Number(at[1])).length - 1;
      const { file, key } = checked[Math.max(index, 0)];
      problems.push(`${file}: ${key}: ${at[2]}`);
    } else if (line.trim()) {
      problems.push(line);
    }
  }
} finally {
  fs.rmSync(check, { force: true });
}

for (const { file, key, resource } of checked) {
  console.log(`checked ${path.basename(file)}: ${key} ${resource.metadata?.name}`);
}
problems.forEach((problem) => console.log(`PROBLEM ${problem}`));
process.exit(problems.length === 0 && checked.length > 0 ? 0 : 1);
