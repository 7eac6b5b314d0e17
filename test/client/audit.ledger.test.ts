import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { Interface, Wallet, ZeroHash, id } from "ethers";
import { checkDocuments } from "../../client/audit/documents";
import { Ledger, type SubmittedReport } from "../../client/audit/ledger";
import { canonicalHash } from "../../sdk/canonical-json";
import type { RawBlock, RawTx } from "../../client/audit/types";
import { emptyFigures } from "../../client/audit/types";
import { ABIS } from "../../sdk/contracts";
import type { Manifest } from "../../sdk/manifest";

const addr = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;

/**
 * The audit's replay fed with events the real contracts would refuse to emit (as a compromised
 * deployment could): each broken rule must come out as its finding. No chain needed.
 */
describe("ets audit: the replay's rule checks", function () {
  const manifest: Manifest = {
    chainId: 31337,
    deploymentBlock: 1,
    deployedAt: "2026-01-01T00:00:00Z",
    contracts: {
      Authority: addr(1),
      ParticipantRegistry: addr(2),
      TransferRules: addr(3),
      AllowanceToken: addr(4),
      OffsetToken: addr(5),
      CashToken: addr(6),
      Allocation: addr(7),
      EmissionsReporting: addr(8),
      Compliance: addr(9),
      ReserveSales: addr(10),
    },
    accounts: {},
  };
  const steel = Wallet.createRandom().address;
  const verifierWallet = Wallet.createRandom().address;
  const other = Wallet.createRandom().address;
  const STEEL = 1001n;
  const VERIFIER = 3001n;
  const OTHER_VERIFIER = 3002n;
  const YEAR = 2015;
  let ledger: Ledger;
  let block = 10;

  async function emit(contract: keyof typeof ABIS, event: string, args: unknown[], from = steel): Promise<void> {
    const iface = new Interface(ABIS[contract]);
    const { topics, data } = iface.encodeEventLog(event, args);
    block++;
    const b = {
      number: `0x${block.toString(16)}`,
      timestamp: "0x1",
      hash: ZeroHash,
      transactions: [],
    } as unknown as RawBlock;
    const tx = { hash: id(`tx${block}`), from, to: manifest.contracts[contract], input: "0x" } as unknown as RawTx;
    await ledger.apply(
      {
        address: manifest.contracts[contract]!,
        topics,
        data,
        blockNumber: b.number,
        blockHash: ZeroHash,
        transactionHash: tx.hash,
        transactionIndex: "0x0",
        logIndex: "0x0",
      },
      tx,
      b,
    );
  }
  const kinds = () => ledger.findings.map((f) => f.kind);

  beforeEach(async function () {
    ledger = new Ledger(manifest, emptyFigures(), async () => false);
    await emit("ParticipantRegistry", "AccountOpened", [steel, STEEL]);
    await emit("ParticipantRegistry", "AccountOpened", [verifierWallet, VERIFIER]);
    await emit("Compliance", "OffsetRulesSet", [YEAR, 1_000, 1_388_534_400n, true, [], [id("hydro-like")]]);
    await emit("OffsetToken", "OffsetBatchImported", [
      1n,
      steel,
      1_000n,
      "P-1",
      "wind",
      false,
      1_400_000_000n,
      1_500_000_000n,
      "R-1",
    ]);
    await emit("OffsetToken", "OffsetBatchImported", [
      2n,
      steel,
      1_000n,
      "P-2",
      "hydro",
      true,
      1_400_000_000n,
      1_500_000_000n,
      "R-2",
    ]);
    await emit("OffsetToken", "OffsetBatchImported", [
      3n,
      steel,
      1_000n,
      "P-3",
      "solar",
      false,
      1_300_000_000n,
      1_500_000_000n,
      "R-3",
    ]);
    await emit("EmissionsReporting", "VerifierAccreditationSet", [VERIFIER, true]);
    await emit("EmissionsReporting", "VerifierAssigned", [STEEL, YEAR, VERIFIER]);
  });

  it("passes a cycle by the rules", async function () {
    await emit("EmissionsReporting", "ReportSubmitted", [STEEL, YEAR, 1, steel, 10_000n, id("c"), id("d"), "", false]);
    await emit(
      "EmissionsReporting",
      "ReportVerified",
      [STEEL, YEAR, VERIFIER, 1, 10_000n, id("s"), 1, false],
      verifierWallet,
    );
    await emit("EmissionsReporting", "ReportApproved", [STEEL, YEAR, 1, 10_000n]);
    await emit("Compliance", "AllowancesSurrendered", [STEEL, YEAR, steel, 2014n, 9_000n]);
    await emit("Compliance", "OffsetsSurrendered", [STEEL, YEAR, steel, 1n, 1_000n]);
    expect(ledger.findings).to.deep.equal([]);
    expect(ledger.position(STEEL, YEAR)).to.include({ obligation: 10_000n, allowances: 9_000n, offsets: 1_000n });
  });

  it("finds surrenders against the banking and offset rules in force", async function () {
    await emit("Compliance", "AllowancesSurrendered", [STEEL, YEAR, steel, 2016n, 10n]);
    expect(kinds()).to.include.members(["surrender-borrowing", "surrender-without-obligation"]);
    ledger.findings.length = 0;

    await emit("EmissionsReporting", "ReportSubmitted", [STEEL, YEAR, 1, steel, 10_000n, id("c"), id("d"), "", false]);
    await emit(
      "EmissionsReporting",
      "ReportVerified",
      [STEEL, YEAR, VERIFIER, 1, 10_000n, id("s"), 1, false],
      verifierWallet,
    );
    await emit("EmissionsReporting", "ReportApproved", [STEEL, YEAR, 1, 10_000n]);
    await emit("Compliance", "OffsetsSurrendered", [STEEL, YEAR, steel, 2n, 10n]); // hydro
    await emit("Compliance", "OffsetsSurrendered", [STEEL, YEAR, steel, 3n, 10n]); // reductions too early
    await emit("Compliance", "OffsetsSurrendered", [STEEL, YEAR, steel, 1n, 990n]); // 1,010 t > 10 % of 10,000 t
    await emit("Compliance", "OffsetsSurrendered", [STEEL, YEAR, other, 1n, 1n]); // not a wallet of the entity
    const found = ledger.findings.map((f) => `${f.kind}:${f.found ?? ""}`);
    expect(found).to.include("surrender-offset-ineligible:hydro");
    expect(found).to.include("surrender-offset-ineligible:reduction too early");
    expect(found).to.include("surrender-offset-cap:1010");
    expect(kinds()).to.include("surrender-wrong-entity");
  });

  it("finds verifications and approvals the report does not support", async function () {
    // Approved with no verification at all.
    await emit("EmissionsReporting", "ReportSubmitted", [STEEL, YEAR, 1, steel, 10_000n, id("c"), id("d"), "", false]);
    await emit("EmissionsReporting", "ReportApproved", [STEEL, YEAR, 1, 10_000n]);
    expect(kinds()).to.deep.equal(["approval-without-verification"]);

    // Attested by a verifier not assigned (and not accredited), from a wallet not of it, adverse, then approved at another total.
    ledger.findings.length = 0;
    await emit("EmissionsReporting", "ReportSubmitted", [
      STEEL,
      YEAR + 1,
      1,
      steel,
      10_000n,
      id("c"),
      id("d"),
      "",
      false,
    ]);
    await emit(
      "EmissionsReporting",
      "ReportVerified",
      [STEEL, YEAR + 1, OTHER_VERIFIER, 1, 9_000n, id("s"), 3, false],
      other,
    );
    await emit("EmissionsReporting", "ReportApproved", [STEEL, YEAR + 1, 1, 8_000n]);
    expect(kinds()).to.have.members([
      "verification-not-assigned",
      "verification-not-accredited",
      "verification-wrong-signer",
      "approval-adverse-opinion",
      "approval-obligation-mismatch",
    ]);
  });

  it("finds a pending transfer closed that none opened, and a balance driven below zero", async function () {
    await emit("AllowanceToken", "PendingTransferExecuted", [7n, steel]);
    await emit("AllowanceToken", "TransferSingle", [steel, steel, other, 2015n, 5n]);
    expect(kinds()).to.deep.equal(["pending-transfer-unknown", "negative-balance"]);
  });

  it("re-checks each auction bid's settlement against its escrow, its reveal and the uniform price", async function () {
    const bidder = steel;
    await emit("ReserveSales", "AuctionCreated", [1n, YEAR, 1_000n, 2_000n, 100n, 200n]);
    await emit("ReserveSales", "BidCommitted", [1n, 1n, bidder, 3_000_000n]); // 1,000 t at up to ¥30
    await emit("ReserveSales", "BidCommitted", [1n, 2n, bidder, 1_500_000n]); // 600 t at ¥25: the marginal bid
    await emit("ReserveSales", "BidCommitted", [1n, 3n, bidder, 500_000n]); // never revealed
    await emit("ReserveSales", "BidRevealed", [1n, 1n, bidder, 3_000n, 700n]);
    await emit("ReserveSales", "BidRevealed", [1n, 2n, bidder, 2_500n, 600n]);
    // 1,000 t offered: 700 t to the higher bid, 300 t of the 600 t demanded at the clearing price ¥25.
    await emit("ReserveSales", "AuctionFinalised", [1n, 2_500n, 1_000n, 0n, 600n, 300n]);
    await emit("ReserveSales", "BidSettled", [1n, 1n, bidder, 700n, 1_750_000n, 1_250_000n]);
    await emit("ReserveSales", "BidSettled", [1n, 2n, bidder, 300n, 750_000n, 750_000n]);
    await emit("ReserveSales", "BidSettled", [1n, 3n, bidder, 0n, 500_000n, 0n]);
    expect(ledger.findings).to.deep.equal([]);
    expect(ledger.auctionCount).to.equal(1n);
    // Settled at the bid's own price instead of the clearing price.
    await emit("ReserveSales", "BidCommitted", [1n, 4n, bidder, 1_000_000n]);
    await emit("ReserveSales", "BidSettled", [1n, 4n, bidder, 0n, 0n, 900_000n]);
    expect(kinds()).to.deep.equal(["auction-settlement-mismatch"]);
    expect(ledger.findings[0]!.expected).to.equal("0 t for 1000000, refund 0");
  });

  it("re-checks each fixed-price purchase against the sale's price", async function () {
    await emit("ReserveSales", "FixedSaleCreated", [2n, YEAR, 10_000n, 2_500n, 1n, 2n, 0n]);
    await emit("ReserveSales", "FixedSalePurchase", [2n, steel, 100n, 250_000n]);
    expect(ledger.findings).to.deep.equal([]);
    await emit("ReserveSales", "FixedSalePurchase", [2n, steel, 100n, 200_000n]);
    expect(kinds()).to.deep.equal(["sale-payment-mismatch"]);
    expect(ledger.boughtIn.get(`2|${steel.toLowerCase()}`)).to.equal(200n);
  });

  it("accepts a report submitted without a separate document by the canonical hash of its JSON", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ets-audit-docs-"));
    try {
      const report = {
        format: "ets-report/1",
        entity: { entityId: 1001 },
        year: 2015,
        sources: [{ fuel: "coal", tonnes: "12.5" }],
      };
      const hash = canonicalHash(report);
      const r: SubmittedReport = {
        entityId: 1001n,
        year: 2015,
        version: 2,
        contentHash: hash,
        documentHash: hash,
        uri: "https://example.org/r/steel-2015.json",
        block: 5,
        tx: ZeroHash,
      };
      // Another indentation and key order: the same canonical JSON.
      fs.writeFileSync(
        path.join(dir, "steel-2015.json"),
        JSON.stringify({ year: 2015, sources: report.sources, entity: report.entity, format: report.format }, null, 4),
      );
      const findings: { kind: string }[] = [];
      expect(checkDocuments(dir, [r], (f) => findings.push(f))).to.equal(1);
      expect(findings).to.deep.equal([]);
      // The version-specific name wins over the URI's, and a changed value is found.
      fs.writeFileSync(path.join(dir, "1001-2015-v2.json"), JSON.stringify({ ...report, year: 2016 }));
      checkDocuments(dir, [r], (f) => findings.push(f));
      expect(findings.map((f) => f.kind)).to.deep.equal(["document-hash-mismatch"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("shares no code with the indexer: nothing under client/audit imports from indexer/", function () {
    const dir = path.resolve(__dirname, "../../client/audit");
    for (const file of [...fs.readdirSync(dir), "../cli/audit.ts"]) {
      const text = fs.readFileSync(path.join(dir, file), "utf8");
      expect(text, file).to.not.match(/from\s+["'][^"']*indexer\//);
      expect(text, file).to.not.match(/require\(["'][^"']*indexer\//);
    }
  });
});
