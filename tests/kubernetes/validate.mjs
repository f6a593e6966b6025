// Checks Kubernetes manifests against the Kubernetes API's own schemas, strictly, as `kubectl apply
// --validate=strict` would but without a cluster:
// - kubernetes-models validates each object against the JSON schema of its apiVersion and kind, generated from
//   the API's OpenAPI definitions (types, required fields, enumerations, formats);
// - every field must be one the API defines: the field lists of @kubernetes/client-node's models, generated
//   from the same OpenAPI definitions, so a misspelt field is refused instead of being silently dropped.
// The YAML is read as Kubernetes reads it (YAML 1.1: 0440 is octal); duplicate keys are refused.
// usage: node validate.mjs FILE...   prints one line per object checked and per problem; exits 1 on a problem
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import * as api from "@kubernetes/client-node/dist/gen/models/all.js";
import { parseAllDocuments } from "yaml";

const leaves = new Set(["string", "number", "boolean", "Date", "any", "IntOrString"]);

// The fields of `value` that model `type` does not define, as "path: reason" lines.
function unknownFields(value, type, path) {
  if (value === null || value === undefined || leaves.has(type)) return [];
  const list = /^Array<(.+)>$/.exec(type);
  if (list) return Array.isArray(value) ? value.flatMap((item, i) => unknownFields(item, list[1], `${path}[${i}]`)) : [];
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return Object.entries(value).flatMap(([key, item]) => unknownFields(item, map[1], `${path}.${key}`));
  const model = api[type];
  if (!model) return [`${path}: no model ${type} in @kubernetes/client-node`];
  if (typeof value !== "object") return []; // a wrong type: kubernetes-models says so
  const fields = new Map(model.getAttributeTypeMap().map((field) => [field.baseName, field.type]));
  return Object.entries(value).flatMap(([key, item]) =>
    fields.has(key)
      ? unknownFields(item, fields.get(key), `${path}.${key}`)
      : [`${path}.${key}: unknown field (${type} has ${[...fields.keys()].join(", ")})`],
  );
}

// "apps/v1" + "StatefulSet" -> V1StatefulSet, the client's name for the kind's model.
function modelName(apiVersion, kind) {
  const version = apiVersion.split("/").pop();
  return version.charAt(0).toUpperCase() + version.slice(1) + kind;
}

// What the kind's schema refuses in `object`, or null when no schema has that apiVersion and kind.
async function schemaProblems(object) {
  let Model;
  try {
    ({ [object.kind]: Model } = await import(`kubernetes-models/${object.apiVersion}/${object.kind}`));
  } catch {
    return null;
  }
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return error.message.split("\n").filter((line) => line.trim() !== "");
  }
}

async function check(file) {
  const problems = [];
  const documents = parseAllDocuments(readFileSync(file, "utf8"), { version: "1.1", uniqueKeys: true });
  for (const [index, document] of documents.entries()) {
    const where = `${basename(file)} #${index + 1}`;
    if (document.errors.length > 0) {
      problems.push(...document.errors.map((error) => `${where}: ${error.message.split("\n")[0]}`));
      continue;
    }
    const object = document.toJS();
    if (object === null) continue;
    if (typeof object.apiVersion !== "string" || typeof object.kind !== "string") {
      problems.push(`${where}: not a Kubernetes object (no apiVersion and kind)`);
      continue;
    }
    const name = `${where} ${object.kind} ${object.metadata?.name ?? "(no name)"}`;
    const schema = await schemaProblems(object);
    const found = schema ?? [`no schema for apiVersion ${object.apiVersion}, kind ${object.kind}`];
    if (schema) found.push(...unknownFields(object, modelName(object.apiVersion, object.kind), object.kind));
    if (found.length === 0) console.log(`valid: ${name}`);
    problems.push(...found.map((problem) => `${name}: ${problem}`));
  }
  return problems;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node validate.mjs FILE...");
  process.exit(2);
}
let failed = false;
for (const file of files) {
  for (const problem of await check(file)) {
    console.log(`INVALID ${problem}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
