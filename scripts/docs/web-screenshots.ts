/**
 * `npm run docs:screenshots`: copies the browser tests' screenshots that docs/web-portal.md shows
 * from test/artifacts/web/ (written by `npm test`) to docs/images/web/.
 */
import fs from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const FROM = path.join(ROOT, "test", "artifacts", "web");
const TO = path.join(ROOT, "docs", "images", "web");

export const SHOWN = [
  "home-zh",
  "participant-holdings-settled",
  "participant-transfers",
  "participant-trade",
  "participant-orders",
  "participant-compliance-refused",
  "participant-certificate",
  "participant-trade-phone-zh",
  "regulator-board",
  "regulator-entities",
  "regulator-entity",
  "regulator-supply",
  "regulator-market",
  "regulator-alerts",
  "regulator-admin",
  "verifier-reports",
  "verifier-report",
];

const missing = SHOWN.filter((name) => !fs.existsSync(path.join(FROM, `${name}.png`)));
if (missing.length) {
  console.error(`missing in ${path.relative(ROOT, FROM)} (run the web tests first): ${missing.join(", ")}`);
  process.exit(1);
}
fs.mkdirSync(TO, { recursive: true });
for (const name of SHOWN) fs.copyFileSync(path.join(FROM, `${name}.png`), path.join(TO, `${name}.png`));
console.log(`copied ${SHOWN.length} screenshots to ${path.relative(ROOT, TO)}`);
