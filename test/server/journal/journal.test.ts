import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Journal } from "../../../server/journal/journal";

describe("Journal", function () {
  let dir: string;
  let file: string;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-journal-"));
    file = path.join(dir, "orders.log");
  });
  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const rec = (i: number) => Buffer.from(`order-${i}-${"x".repeat(i % 17)}`);

  it("makes every committed record durable and reads them back in order", async function () {
    const j = Journal.open(file);
    const commits: Promise<void>[] = [];
    for (let i = 0; i < 1000; i++) {
      j.append(rec(i));
      if (i % 100 === 99) commits.push(j.commit());
    }
    await Promise.all(commits);
    await j.close();
    const back = [...Journal.read(file)].map((b) => b.toString());
    expect(back).to.deep.equal(Array.from({ length: 1000 }, (_, i) => rec(i).toString()));
    // Group commit: far fewer syncs than records.
    expect(j.syncs).to.be.at.most(10).and.at.least(1);
  });

  it("resolves a commit only after its records are on disk", async function () {
    const j = Journal.open(file);
    j.append(rec(1));
    const before = fs.statSync(file).size;
    await j.commit();
    expect(before).to.equal(0);
    expect(fs.statSync(file).size).to.be.greaterThan(0);
    await j.close();
  });

  describe("when the process died in the middle of a write", function () {
    it("cuts off the torn record and keeps every whole one", async function () {
      const j = Journal.open(file);
      for (let i = 0; i < 10; i++) j.append(rec(i));
      await j.close();
      const full = fs.readFileSync(file);
      fs.writeFileSync(file, full.subarray(0, full.length - 3));
      const reopened = Journal.open(file);
      expect(reopened.recovered).to.equal(9);
      reopened.append(rec(99));
      await reopened.close();
      expect([...Journal.read(file)].map((b) => b.toString())).to.deep.equal([
        ...Array.from({ length: 9 }, (_, i) => rec(i).toString()),
        rec(99).toString(),
      ]);
    });

    it("stops at a record whose checksum does not match", async function () {
      const j = Journal.open(file);
      for (let i = 0; i < 5; i++) j.append(rec(i));
      await j.close();
      const data = fs.readFileSync(file);
      const second = 8 + rec(0).length;
      data[second + 8] = data[second + 8]! ^ 0xff;
      fs.writeFileSync(file, data);
      expect([...Journal.read(file)]).to.have.length(1);
      const reopened = Journal.open(file);
      expect(reopened.recovered).to.equal(1);
      await reopened.close();
    });
  });

  it("refuses a record larger than 1 MiB", async function () {
    const j = Journal.open(file);
    expect(() => j.append(Buffer.alloc((1 << 20) + 1))).to.throw(RangeError);
    await j.close();
  });
});
