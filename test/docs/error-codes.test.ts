import { expect } from "chai";
import fs from "node:fs";
import { ERROR_DOC, renderErrorDoc } from "../../scripts/docs/error-codes";

describe("docs/error-codes.md", function () {
  it("is what the catalogues generate (run `npm run docs:errors` after changing one)", function () {
    expect(fs.readFileSync(ERROR_DOC, "utf8")).to.equal(renderErrorDoc());
  });
});
