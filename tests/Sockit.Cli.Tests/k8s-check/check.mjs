// Checks Kubernetes manifests against the API's schemas with no cluster: each document is validated by the
// kubernetes-models class of its apiVersion and kind (ajv over the OpenAPI schemas), so a misspelt field or a wrong
// type fails here as `kubectl apply` would fail against a server. Prints one line per object; exits 1 on any error.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

const dir = process.argv[2];
let failures = 0, objects = 0;
const containers = [], settings = {};
for (const file of readdirSync(dir).filter(f => f.endsWith(".yaml") || f.endsWith(".yml")).sort()) {
  for (const doc of parseAllDocuments(readFileSync(join(dir, file), "utf8"))) {
    if (doc.errors.length) { console.log(`${file}: YAML error: ${doc.errors[0].message}`); failures++; continue; }
    const object = doc.toJS();
    if (!object) continue;
    const { apiVersion, kind } = object;
    const group = apiVersion.includes("/") ? apiVersion : `v1`;
    let model;
    try {
      const module = await import(`kubernetes-models/${group === "v1" ? "v1" : group}`);
      model = module[kind];
    } catch (e) {
      console.log(`${file}: ${kind} ${apiVersion}: unknown API version`); failures++; continue;
    }
    if (!model) { console.log(`${file}: unknown kind ${kind} in ${apiVersion}`); failures++; continue; }
    try {
      new model(object).validate();
      objects++;
      console.log(`${file}: ${kind}/${object.metadata?.name} valid`);
      if (kind === "Job") containers.push(...object.spec.template.spec.containers.map(c => ({ job: object.metadata.name, command: c.command ?? [], args: c.args ?? [] })));
      if (kind === "ConfigMap") Object.assign(settings, object.data);
    } catch (e) {
      failures++;
      console.log(`${file}: ${kind}/${object.metadata?.name}: ${e.message.split("\n")[0]}`);
    }
  }
}
console.log(`${objects} valid, ${failures} invalid`);
// The last line, for a test to run the same commands locally: each Job's container command and arguments, and the settings.
console.log(JSON.stringify({ containers, settings }));
process.exit(failures === 0 && objects > 0 ? 0 : 1);
