// The web app's canonical encoder (api/web/public/js/capnp.js) against the C++ one: reads a
// JSON file of cases [{"name", "json": <EventBody in Cap'n Proto's JSON form>, "body": <base64
// of the canonical bytes the C++ encoder wrote>}], encodes each with capnp.js and the schema
// module the build generated, and prints one line per disagreement and "N passed, M failed".
// Exit 0 only when all agree. Run by tests/api/http/web_app_test.cpp.
//
// Usage: node encode_check.mjs CASES.json CAPNP.js SCHEMA.js
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [casesFile, capnpFile, schemaFile] = process.argv.slice(2);
const { encodeCanonical } = await import(pathToFileURL(capnpFile).href);
const { structs, enums } = await import(pathToFileURL(schemaFile).href);
const cases = JSON.parse(readFileSync(casesFile, "utf8"));
let passed = 0, failed = 0;
for (const c of cases) {
  let got;
  try {
    got = Buffer.from(encodeCanonical({ structs, enums }, "EventBody", c.json)).toString("base64");
  } catch (e) {
    got = "threw " + e.message;
  }
  if (got === c.body) {
    passed++;
  } else {
    failed++;
    console.log(`MISMATCH ${c.name}\n  c++: ${c.body}\n  js:  ${got}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
