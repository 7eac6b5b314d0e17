import { expect } from "chai";
import fc from "fast-check";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { keccak256, toUtf8Bytes } from "ethers";
import { CLIENT_ERRORS } from "../../sdk/client-errors";
import { fraction, type Fraction } from "../../sdk/decimal";
import { DomainError } from "../../sdk/errors";
import {
  DEFAULT_EMISSION_FACTORS,
  computeReport,
  electricityEmissions,
  formatSourceEmissions,
  fuelCombustionEmissions,
  heatEmissions,
  parseReport,
  processEmissions,
  readReportFile,
  reportHash,
  roundTotalTonnes,
  type EmissionsReport,
} from "../../sdk/mrv";

const ROOT = path.resolve(__dirname, "..", "..");
const EXAMPLES = path.join(ROOT, "docs", "examples");

/** A worked example of docs/mrv.md, as JSON. */
function example(name: string): any {
  return JSON.parse(fs.readFileSync(path.join(EXAMPLES, `${name}.json`), "utf8"));
}

/** The DomainError that `fn` throws. */
function thrown(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(DomainError);
    return err as DomainError;
  }
  expect.fail("expected a DomainError");
}

/** The same JSON value with the keys of every object in reverse order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reversedKeys(v)]),
  );
}

/** A minimal valid report with the given sources. */
function reportWith(sources: unknown[]): any {
  return { schema: "ets-report/1", year: 2014, entity: { entityId: 1, name: "Test Co." }, sources };
}

const coalLine = () => ({
  kind: "fuel",
  id: "boiler-1",
  description: "coal boiler",
  consumption: "120000",
  consumptionUnit: "t",
  netCalorificValue: "20.908",
  carbonContent: "0.02618",
  oxidationRate: "0.98",
});

describe("sdk/mrv", function () {
  describe("the worked examples of docs/mrv.md", function () {
    it("a coal-fired boiler with limestone desulphurisation: 237,699 t", async function () {
      const result = computeReport(await readReportFile(path.join(EXAMPLES, "report-coal-boiler.json")));
      // 120,000 t × 20.908 GJ/t × 0.02618 tC/GJ × 0.98 × 44/12 = 236,026.564928 t exactly
      expect(result.sources[0]!.emissions).to.deep.equal(fraction(236_026_564_928n, 1_000_000n));
      expect(result.sources.map((s) => s.tonnes)).to.deep.equal(["236026.565", "1672.000"]);
      expect(result.total).to.equal("237698.565");
      expect(result.totalTonnes).to.equal(237_699n);
    });

    it("a natural-gas boiler: 32,475 t", async function () {
      const result = computeReport(await readReportFile(path.join(EXAMPLES, "report-gas-boiler.json")));
      // 1,500 × 10^4 Nm3 × 389.31 GJ/10^4 Nm3 × 0.01532 tC/GJ × 0.99 × 44/12 = 32,475.227994 t exactly
      expect(result.sources[0]!.emissions).to.deep.equal(fraction(32_475_227_994n, 1_000_000n));
      expect(result.sources[0]!.tonnes).to.equal("32475.228");
      expect(result.totalTonnes).to.equal(32_475n);
    });

    it("purchased electricity and heat: 79,796.5 t rounds half up to 79,797 t", async function () {
      const result = computeReport(await readReportFile(path.join(EXAMPLES, "report-purchased-energy.json")));
      const [electricity, heat] = result.sources;
      expect(electricity!.tonnes).to.equal("75165.500"); // 85,000 MWh × 0.8843 tCO2/MWh
      expect(electricity!.factor).to.deep.equal({ value: "0.8843", source: "report" });
      expect(heat!.tonnes).to.equal("4631.000"); // 42,100 GJ × 0.11 tCO2/GJ (configured default)
      expect(heat!.factor).to.deep.equal({ value: "0.11", source: "configured" });
      expect(result.total).to.equal("79796.500");
      // Half up, not half to even (which would give 79,796).
      expect(result.totalTonnes).to.equal(79_797n);
    });

    it("are described in docs/mrv.md with the same totals and the pinned hash", function () {
      const doc = fs.readFileSync(path.join(ROOT, "docs", "mrv.md"), "utf8");
      for (const text of [
        "report-coal-boiler.json",
        "report-gas-boiler.json",
        "report-purchased-energy.json",
        "237,699",
        "32,475",
        "79,797",
        reportHash(parseReport(example("report-coal-boiler"))),
      ]) {
        expect(doc).to.include(text);
      }
    });
  });

  describe("the calculator", function () {
    it("applies the guidelines' formulas exactly", function () {
      expect(
        fuelCombustionEmissions({
          consumption: "1",
          netCalorificValue: "3",
          carbonContent: "0.5",
          oxidationRate: "1",
        }),
      ).to.deep.equal(fraction(11n, 2n)); // 1 × 3 × 0.5 × 1 × 44/12
      expect(processEmissions("3800", "0.440")).to.deep.equal(fraction(1672n));
      expect(electricityEmissions("85000", "0.8843")).to.deep.equal(fraction(150_331n, 2n));
      expect(heatEmissions("42100", "0.11")).to.deep.equal(fraction(4631n));
    });

    it("shows a source with 3 decimals, rounded half up", function () {
      expect(formatSourceEmissions(fraction(1n, 2000n))).to.equal("0.001");
      expect(formatSourceEmissions(fraction(1n, 3n))).to.equal("0.333");
      expect(formatSourceEmissions(fraction(0n))).to.equal("0.000");
    });

    it("rounds the exact sum, not the rounded sources, half up to whole tonnes", function () {
      const twoFifths = fraction(2n, 5n);
      expect(roundTotalTonnes([twoFifths, twoFifths])).to.equal(1n); // 0.8 t, where rounded lines give 0
      expect(roundTotalTonnes([fraction(5n, 2n)])).to.equal(3n);
      expect(roundTotalTonnes([fraction(4999n, 10_000n)])).to.equal(0n);
      expect(roundTotalTonnes([])).to.equal(0n);
    });

    it("uses the configured factors only for lines that state none", function () {
      const report = parseReport(
        reportWith([
          { kind: "electricity", id: "own", description: "stated", purchased: "1000", emissionFactor: "0.8843" },
          { kind: "electricity", id: "default", description: "configured", purchased: "1000" },
          { kind: "heat", id: "heat", description: "configured", purchased: "1000" },
        ]),
      );
      expect(DEFAULT_EMISSION_FACTORS).to.deep.equal({ electricity: "0.8843", heat: "0.11" });
      const defaults = computeReport(report);
      expect(defaults.sources.map((s) => s.tonnes)).to.deep.equal(["884.300", "884.300", "110.000"]);
      const configured = computeReport(report, { electricity: "0.5810" });
      expect(configured.sources.map((s) => s.tonnes)).to.deep.equal(["884.300", "581.000", "110.000"]);
      expect(configured.sources.map((s) => s.factor?.source)).to.deep.equal(["report", "configured", "configured"]);
      expect(configured.factors).to.deep.equal({ electricity: "0.5810", heat: "0.11" });
    });

    it("refuses a malformed configured factor as a configuration error", function () {
      const report = parseReport(example("report-purchased-energy"));
      const err = thrown(() => computeReport(report, { heat: "1e-1" }));
      expect(err.code).to.equal("INVALID_CONFIG");
      expect(err.message).to.include("heat emission factor");
    });
  });

  describe("reportHash", function () {
    const coal = () => example("report-coal-boiler");

    it("is keccak256 of the RFC 8785 canonical JSON", function () {
      const report = reportWith([
        { kind: "process", id: "p", description: "碳酸钙", activity: "10", emissionFactor: "0.440" },
      ]);
      // Keys sorted, no whitespace, non-ASCII kept as UTF-8: written out by hand.
      const canonical =
        '{"entity":{"entityId":1,"name":"Test Co."},"schema":"ets-report/1",' +
        '"sources":[{"activity":"10","description":"碳酸钙","emissionFactor":"0.440","id":"p","kind":"process"}],' +
        '"year":2014}';
      expect(reportHash(parseReport(report))).to.equal(keccak256(toUtf8Bytes(canonical)));
    });

    it("is pinned for the coal-boiler example", function () {
      expect(reportHash(parseReport(coal()))).to.equal(
        "0xedbde2044c1ebb4ab0839eca1ee496218293af50570e54d1521d636fb061651b",
      );
    });

    it("does not depend on key order or whitespace", async function () {
      const hash = reportHash(parseReport(coal()));
      expect(reportHash(parseReport(reversedKeys(coal())))).to.equal(hash);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mrv-"));
      try {
        const file = path.join(dir, "report.json");
        fs.writeFileSync(file, "\uFEFF" + JSON.stringify(reversedKeys(coal()), null, "\t\t") + "\n\n");
        expect(reportHash(await readReportFile(file))).to.equal(hash);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("changes with any value, even the spelling of an equal number", function () {
      const hash = reportHash(parseReport(coal()));
      const changed = coal();
      changed.sources[0].consumption = "120001";
      expect(reportHash(parseReport(changed))).to.not.equal(hash);
      const respelled = coal();
      respelled.sources[0].oxidationRate = "0.980";
      expect(reportHash(parseReport(respelled))).to.not.equal(hash);
      expect(computeReport(parseReport(respelled)).totalTonnes).to.equal(237_699n);
    });
  });

  describe("parseReport", function () {
    it("returns every example unchanged", function () {
      for (const name of ["report-coal-boiler", "report-gas-boiler", "report-purchased-energy"]) {
        expect(parseReport(example(name))).to.deep.equal(example(name));
      }
    });

    describe("when fields are wrong", function () {
      it("names every offending field by its path, in the message and in details.issues", function () {
        const bad = example("report-coal-boiler");
        bad.year = 2004.5;
        bad.entity.entityId = -3;
        bad.sources[0].netCalorificValue = "20,908";
        bad.sources[0].oxidationRate = "1.02";
        bad.sources[1].activity = 3800;
        delete bad.sources[1].description;
        bad.sources[1].colour = "grey";
        const err = thrown(() => parseReport(bad));
        expect(err.code).to.equal("REPORT_INVALID");
        expect(err.kind).to.equal("validation");
        expect(CLIENT_ERRORS.REPORT_INVALID.kind).to.equal("validation");
        const issues = err.details.issues as { path: string; message: string }[];
        expect(issues.map((i) => i.path)).to.have.members([
          "year",
          "entity.entityId",
          "sources[0].netCalorificValue",
          "sources[0].oxidationRate",
          "sources[1].activity",
          "sources[1].description",
          "sources[1].colour",
        ]);
        for (const issue of issues) expect(err.message).to.include(`${issue.path}: ${issue.message}`);
        expect(err.message).to.include('sources[0].netCalorificValue: must be a plain decimal number such as "20.908"');
        expect(err.message).to.include(
          'sources[0].oxidationRate: must be greater than 0 and at most 1, such as "0.98"',
        );
        expect(err.message).to.include("sources[1].activity: must be a plain decimal number");
        expect(err.message).to.include("sources[1].description: is required");
        expect(err.message).to.include("sources[1].colour: is not a field of the format");
        expect(err.message).to.include("year: must be a whole year from 2005 to 2100");
      });

      const DECIMAL_AS_STRING =
        'must be a plain decimal number such as "20.908", written as a JSON string (a JSON number is not exact)';
      const decimals: [string, unknown, string][] = [
        ["an exponent", "1e3", 'must be a plain decimal number such as "20.908"'],
        ["a thousands separator", "1,000", 'must be a plain decimal number such as "20.908"'],
        ["a minus sign", "-5", "must not be negative"],
        ["a leading point", ".5", 'must be a plain decimal number such as "20.908"'],
        ["a trailing point", "5.", 'must be a plain decimal number such as "20.908"'],
        ["spaces", " 5", 'must be a plain decimal number such as "20.908"'],
        ["an empty string", "", 'must be a plain decimal number such as "20.908"'],
        ["a JSON number", 20.908, DECIMAL_AS_STRING],
        ["a whole JSON number", 1000, DECIMAL_AS_STRING],
        ["null", null, DECIMAL_AS_STRING],
        ["too many digits", "1." + "0".repeat(40), "must have at most 40 characters"],
      ];
      for (const [what, value, message] of decimals) {
        it(`refuses a quantity with ${what}`, function () {
          const line: any = coalLine();
          line.netCalorificValue = value;
          const err = thrown(() => parseReport(reportWith([line])));
          expect(err.details.issues).to.have.length(1);
          expect(err.message).to.include(`sources[0].netCalorificValue: ${message}`);
        });
      }

      it("refuses an oxidation rate of 0 and accepts 1", function () {
        const zero = { ...coalLine(), oxidationRate: "0.000" };
        expect(thrown(() => parseReport(reportWith([zero]))).message).to.include(
          "sources[0].oxidationRate: must be greater than 0 and at most 1",
        );
        expect(() => parseReport(reportWith([{ ...coalLine(), oxidationRate: "1" }]))).to.not.throw();
        expect(() => parseReport(reportWith([{ ...coalLine(), oxidationRate: "1.000" }]))).to.not.throw();
      });

      it("refuses a wrong or missing kind, naming the kinds there are", function () {
        const wrong = { ...coalLine(), kind: "coal" };
        const { kind: _kind, ...missing } = coalLine();
        const err = thrown(() => parseReport(reportWith([wrong, { ...missing, id: "b" }, "boiler"])));
        expect(err.message).to.include('sources[0].kind: must be one of "fuel", "process", "electricity", "heat"');
        expect(err.message).to.include('sources[1].kind: must be one of "fuel", "process", "electricity", "heat"');
        expect(err.message).to.include("sources[2]: must be an object");
      });

      it("refuses a field of another kind of line", function () {
        const line = { ...coalLine(), emissionFactor: "0.9" };
        expect(thrown(() => parseReport(reportWith([line]))).message).to.include(
          "sources[0].emissionFactor: is not a field of the format",
        );
      });

      it("refuses a wrong fuel unit, schema tag, entity or credit code", function () {
        const report = reportWith([{ ...coalLine(), consumptionUnit: "m3" }]);
        report.schema = "ets-report/2";
        report.entity = { entityId: 1.5, name: " ", creditCode: "91120116MA05K3XY2I" };
        const paths = (thrown(() => parseReport(report)).details.issues as { path: string }[]).map((i) => i.path);
        expect(paths).to.have.members([
          "schema",
          "entity.entityId",
          "entity.name",
          "entity.creditCode",
          "sources[0].consumptionUnit",
        ]);
      });
    });

    describe("when the sources are wrong as a whole", function () {
      it("refuses duplicate ids, also next to other errors", function () {
        const err = thrown(() =>
          parseReport(
            reportWith([
              coalLine(),
              { ...coalLine(), netCalorificValue: "x" },
              { kind: "heat", id: "boiler-1", description: "heat", purchased: "1" },
            ]),
          ),
        );
        expect(err.message).to.include(
          'sources[2].id: repeats the id "boiler-1" of sources[0]; ids are unique within a report',
        );
        expect(err.message).to.include("sources[1].id: repeats the id");
        expect(err.message).to.include("sources[1].netCalorificValue");
      });

      it("refuses an empty or missing list of sources", function () {
        expect(thrown(() => parseReport(reportWith([]))).message).to.include(
          "sources: must list at least one emission source",
        );
        const { sources: _sources, ...none } = reportWith([]);
        expect(thrown(() => parseReport(none)).message).to.include("sources: is required");
      });

      it("refuses what is not a JSON object", function () {
        for (const value of [null, "report", [], 42]) {
          expect(thrown(() => parseReport(value)).message).to.include("(report): must be a JSON object");
        }
      });
    });
  });

  describe("readReportFile", function () {
    let dir: string;
    beforeEach(function () {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "mrv-"));
    });
    afterEach(function () {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("reports a missing file as FILE_UNREADABLE", async function () {
      const file = path.join(dir, "absent.json");
      const err = await readReportFile(file).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(DomainError);
      expect((err as DomainError).code).to.equal("FILE_UNREADABLE");
      expect((err as DomainError).details).to.include({ file, code: "ENOENT" });
    });

    it("reports text that is not JSON, or an invalid report, as REPORT_INVALID naming the file", async function () {
      const file = path.join(dir, "report.json");
      fs.writeFileSync(file, '{ "schema": "ets-report/1", ');
      let err = (await readReportFile(file).catch((e: unknown) => e)) as DomainError;
      expect(err.code).to.equal("REPORT_INVALID");
      expect(err.message).to.include(`The report file ${file} is invalid: (report): is not JSON`);
      fs.writeFileSync(file, JSON.stringify(reportWith([])));
      err = (await readReportFile(file).catch((e: unknown) => e)) as DomainError;
      expect(err.code).to.equal("REPORT_INVALID");
      expect(err.message).to.include("sources: must list at least one emission source");
    });
  });

  describe("properties", function () {
    /** A decimal string with its value as integer mantissa and scale, for the reference computation below. */
    interface Dec {
      text: string;
      mantissa: bigint;
      scale: number;
    }
    const dec = (mantissa: bigint, scale: number): Dec => {
      const digits = mantissa.toString().padStart(scale + 1, "0");
      const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
      return { text, mantissa, scale };
    };
    const quantity = fc
      .tuple(fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.integer({ min: 0, max: 6 }))
      .map(([m, s]) => dec(m, s));
    const rate = fc
      .integer({ min: 0, max: 4 })
      .chain((s) => fc.bigInt({ min: 1n, max: 10n ** BigInt(s) }).map((m) => dec(m, s)));

    /** A source line as JSON, with the factors of its formula (44/12 for fuel is applied by the reference). */
    type Line = { json: Record<string, string>; factors: Dec[]; fuel: boolean };
    const line: fc.Arbitrary<Line> = fc.oneof(
      fc.tuple(quantity, quantity, quantity, rate).map(([c, ncv, cc, ox]) => ({
        json: {
          kind: "fuel",
          description: "fuel",
          consumption: c.text,
          consumptionUnit: "t",
          netCalorificValue: ncv.text,
          carbonContent: cc.text,
          oxidationRate: ox.text,
        },
        factors: [c, ncv, cc, ox],
        fuel: true,
      })),
      fc.tuple(quantity, quantity).map(([a, f]) => ({
        json: { kind: "process", description: "process", activity: a.text, emissionFactor: f.text },
        factors: [a, f],
        fuel: false,
      })),
      fc.tuple(fc.constantFrom("electricity", "heat"), quantity, quantity).map(([kind, q, f]) => ({
        json: { kind, description: kind, purchased: q.text, emissionFactor: f.text },
        factors: [q, f],
        fuel: false,
      })),
    );
    const report = fc.array(line, { minLength: 1, maxLength: 12 }).map((lines) => ({
      lines,
      json: reportWith(lines.map((l, i) => ({ ...l.json, id: `s${i}` }))) as EmissionsReport,
    }));

    /**
     * The total by other means than sdk/decimal.ts: every line as an integer over the common
     * denominator 12 × 10^K, summed, then rounded half up by integer division.
     */
    function referenceTotal(lines: readonly Line[]): { numerator: bigint; denominator: bigint; tonnes: bigint } {
      const scales = lines.map((l) => l.factors.reduce((s, f) => s + f.scale, 0));
      const K = Math.max(...scales);
      const denominator = 12n * 10n ** BigInt(K);
      let numerator = 0n;
      lines.forEach((l, i) => {
        const product = l.factors.reduce((p, f) => p * f.mantissa, 1n);
        numerator += product * (l.fuel ? 44n : 12n) * 10n ** BigInt(K - scales[i]!);
      });
      return { numerator, denominator, tonnes: (2n * numerator + denominator) / (2n * denominator) };
    }

    const same = (a: Fraction, b: Fraction) => a.num * b.den === b.num * a.den;

    it("the total is the exact sum of the sources rounded half up", function () {
      fc.assert(
        fc.property(report, ({ lines, json }) => {
          const result = computeReport(parseReport(json));
          const reference = referenceTotal(lines);
          expect(same(result.exactTotal, fraction(reference.numerator, reference.denominator))).to.equal(true);
          expect(result.totalTonnes).to.equal(reference.tonnes);
        }),
        { numRuns: 300 },
      );
    });

    it("the total, and the hash, do not depend on the order of the sources or keys", function () {
      const withOrder = report.chain(({ json }) =>
        fc
          .shuffledSubarray(json.sources, { minLength: json.sources.length, maxLength: json.sources.length })
          .map((sources) => ({ json, shuffled: { ...json, sources } })),
      );
      fc.assert(
        fc.property(withOrder, ({ json, shuffled }) => {
          const a = computeReport(parseReport(json));
          const b = computeReport(parseReport(shuffled));
          expect(b.totalTonnes).to.equal(a.totalTonnes);
          expect(same(a.exactTotal, b.exactTotal)).to.equal(true);
          expect(reportHash(parseReport(reversedKeys(json)))).to.equal(reportHash(json));
        }),
        { numRuns: 200 },
      );
    });

    it("a valid report parses to itself", function () {
      fc.assert(
        fc.property(report, ({ json }) => {
          expect(parseReport(json)).to.deep.equal(json);
        }),
        { numRuns: 200 },
      );
    });
  });
});
