import { Interface } from "ethers";
import { ABIS } from "../../sdk/contracts";
import type { Ledger, TokenName } from "./ledger";
import { hex, type AuditRpc } from "./rpc";
import type { Finding } from "./types";

const STATUS = ["NONE", "OPEN", "COMPLIANT", "SHORTFALL"] as const;

interface Probe {
  to: string;
  iface: Interface;
  fn: string;
  args: unknown[];
  /** The replayed figure, and what to say when the contract disagrees. */
  expected: (decoded: unknown[]) => { ok: boolean; expected: string; found: string } | undefined;
  kind: string;
  what: string;
}

/**
 * Compares the replayed ledger with the contracts' own figures at the head block, through eth_call
 * in batches: every balance and lock per account and token id, issued, burned and total supply per
 * id, pending-transfer counters, every trading balance, the Clearing's custody of what the trading
 * accounts hold, every compliance position, the retirement counters and the certificate count.
 */
export async function compareState(
  rpc: AuditRpc,
  ledger: Ledger,
  head: number,
  find: (f: Finding) => void,
): Promise<number> {
  const probes: Probe[] = [];
  const ifaces = Object.fromEntries(Object.entries(ABIS).map(([n, abi]) => [n, new Interface(abi)])) as Record<
    keyof typeof ABIS,
    Interface
  >;
  const same = (replayed: bigint) => (d: unknown[]) => ({
    ok: (d[0] as bigint) === replayed,
    expected: replayed.toString(),
    found: String(d[0]),
  });
  const tokens: TokenName[] = ["AllowanceToken", "OffsetToken", "CashToken"];
  const accounts = new Set<string>();
  let holdings = 0;
  for (const token of tokens) {
    const to = ledger.address(token);
    const iface = ifaces[token];
    const erc20 = token === "CashToken";
    const pairs = new Map<string, [string, bigint]>();
    for (const m of [ledger.balances.get(token)!, ledger.locked.get(token)!]) {
      for (const [account, ids] of m) for (const id of ids.keys()) pairs.set(`${account}|${id}`, [account, id]);
    }
    for (const [account, id] of pairs.values()) {
      accounts.add(account);
      holdings++;
      const bal = ledger.balances.get(token)!.get(account)?.get(id) ?? 0n;
      const lock = ledger.locked.get(token)!.get(account)?.get(id) ?? 0n;
      probes.push({
        to,
        iface,
        fn: "balanceOf",
        args: erc20 ? [account] : [account, id],
        expected: same(bal),
        kind: "balance-mismatch",
        what: `${token} ${erc20 ? "" : `id ${id} `}balance of ${account}`,
      });
      probes.push({
        to,
        iface,
        fn: "lockedBalanceOf",
        args: [account, id],
        expected: same(lock),
        kind: "locked-balance-mismatch",
        what: `${token} ${erc20 ? "" : `id ${id} `}locked balance of ${account}`,
      });
    }
    const ids = new Set<bigint>([...ledger.minted.get(token)!.keys(), ...ledger.burned.get(token)!.keys()]);
    for (const id of ids) {
      const minted = ledger.minted.get(token)!.get(id) ?? 0n;
      const burned = ledger.burned.get(token)!.get(id) ?? 0n;
      if (!erc20) {
        probes.push({
          to,
          iface,
          fn: "totalSupply(uint256)",
          args: [id],
          expected: same(minted - burned),
          kind: "supply-mismatch",
          what: `${token} total supply of id ${id}`,
        });
        probes.push({
          to,
          iface,
          fn: "burned",
          args: [id],
          expected: same(burned),
          kind: "supply-mismatch",
          what: `${token} burned of id ${id}`,
        });
      }
      if (token === "AllowanceToken") {
        probes.push({
          to,
          iface,
          fn: "issued",
          args: [id],
          expected: same(minted),
          kind: "supply-mismatch",
          what: `allowances issued of vintage ${id}`,
        });
      }
    }
    if (erc20) {
      const total = (ledger.minted.get(token)!.get(0n) ?? 0n) - (ledger.burned.get(token)!.get(0n) ?? 0n);
      probes.push({
        to,
        iface,
        fn: "totalSupply",
        args: [],
        expected: same(total),
        kind: "supply-mismatch",
        what: "cash total supply",
      });
    }
    if (token === "OffsetToken") {
      probes.push({
        to,
        iface,
        fn: "batchCount",
        args: [],
        expected: same(BigInt(ledger.batches.size)),
        kind: "supply-mismatch",
        what: "CCER batch count",
      });
    }
    probes.push({
      to,
      iface,
      fn: "pendingTransferCount",
      args: [],
      expected: same(ledger.pendingCount.get(token)!),
      kind: "counter-mismatch",
      what: `${token} pending-transfer count`,
    });
  }

  // Trading accounts, and the Clearing's custody of them.
  const clearing = ledger.address("Clearing");
  if (clearing) {
    const custody = new Map<string, bigint>();
    for (const [trader, byToken] of ledger.trading) {
      for (const [token, ids] of byToken) {
        for (const [id, bal] of ids) {
          custody.set(`${token}|${id}`, (custody.get(`${token}|${id}`) ?? 0n) + bal);
          holdings++;
          probes.push({
            to: clearing,
            iface: ifaces.Clearing,
            fn: "balanceOf",
            args: [trader, token, id],
            expected: same(bal),
            kind: "trading-balance-mismatch",
            what: `trading balance of ${trader} in ${ledger.tokenName(token) ?? token} id ${id}`,
          });
        }
      }
    }
    for (const [k, held] of custody) {
      const [token, idText] = k.split("|") as [string, string];
      const name = ledger.tokenName(token);
      if (!name) continue;
      const id = BigInt(idText);
      const onToken = ledger.balances.get(name)!.get(clearing)?.get(id) ?? 0n;
      if (onToken !== held) {
        find({
          kind: "clearing-custody-mismatch",
          block: head,
          expected: held.toString(),
          found: onToken.toString(),
          message: `The trading accounts hold ${held} of ${name} id ${id} but the Clearing contract's replayed registry balance is ${onToken}.`,
        });
      }
    }
    probes.push({
      to: clearing,
      iface: ifaces.Clearing,
      fn: "lastTradeId",
      args: [],
      expected: same(ledger.lastTradeId),
      kind: "counter-mismatch",
      what: "Clearing last trade id",
    });
  }

  // Compliance positions and retirements.
  const compliance = ledger.address("Compliance");
  for (const [k, p] of ledger.positions) {
    const [entityText, yearText] = k.split("|") as [string, string];
    const entityId = BigInt(entityText);
    const year = Number(yearText);
    const cap = (p.obligation * ledger.offsetCapBps(year)) / 10_000n;
    const isCovered = ledger.covered.get(year)?.has(entityId) ?? false;
    probes.push({
      to: ledger.address("Allocation"),
      iface: ifaces.Allocation,
      fn: "isCovered",
      args: [year, entityId],
      expected: (d) => ({ ok: d[0] === isCovered, expected: String(isCovered), found: String(d[0]) }),
      kind: "coverage-mismatch",
      what: `coverage of entity ${entityId} for ${year}`,
    });
    probes.push({
      to: compliance,
      iface: ifaces.Compliance,
      fn: "positionOf",
      args: [entityId, year],
      expected: (d) => {
        const pos = d[0] as {
          status: bigint;
          obligationSet: boolean;
          obligation: bigint;
          allowancesSurrendered: bigint;
          offsetsSurrendered: bigint;
          offsetCap: bigint;
          shortfall: bigint;
          fine: bigint;
        };
        const expected = `obligation ${p.obligationSet ? p.obligation : "unset"}, allowances ${p.allowances}, offsets ${p.offsets}, cap ${cap}, shortfall ${p.shortfall}, fine ${p.fine}`;
        const found = `obligation ${pos.obligationSet ? pos.obligation : "unset"}, allowances ${pos.allowancesSurrendered}, offsets ${pos.offsetsSurrendered}, cap ${pos.offsetCap}, shortfall ${pos.shortfall}, fine ${pos.fine}`;
        return {
          ok: expected === found && (p.closedStatus === 0 || Number(pos.status) === p.closedStatus),
          expected,
          found,
        };
      },
      kind: "compliance-position-mismatch",
      what: `compliance position of entity ${entityId} for ${year}`,
    });
  }
  for (const [vintage, [surrendered, cancelled]] of ledger.allowanceRetired) {
    probes.push({
      to: compliance,
      iface: ifaces.Compliance,
      fn: "allowanceRetirements",
      args: [vintage],
      expected: (d) => ({
        ok: d[0] === surrendered && d[1] === cancelled,
        expected: `${surrendered}/${cancelled}`,
        found: `${d[0]}/${d[1]}`,
      }),
      kind: "retirement-mismatch",
      what: `allowance retirements (surrendered/cancelled) of vintage ${vintage}`,
    });
  }
  for (const [batchId, [surrendered, cancelled]] of ledger.offsetRetired) {
    probes.push({
      to: compliance,
      iface: ifaces.Compliance,
      fn: "offsetRetirements",
      args: [batchId],
      expected: (d) => ({
        ok: d[0] === surrendered && d[1] === cancelled,
        expected: `${surrendered}/${cancelled}`,
        found: `${d[0]}/${d[1]}`,
      }),
      kind: "retirement-mismatch",
      what: `CCER retirements (surrendered/cancelled) of batch ${batchId}`,
    });
  }
  probes.push({
    to: compliance,
    iface: ifaces.Compliance,
    fn: "certificateCount",
    args: [],
    expected: same(ledger.certificateCount),
    kind: "counter-mismatch",
    what: "cancellation certificate count",
  });
  const sales = ledger.address("ReserveSales");
  probes.push({
    to: sales,
    iface: ifaces.ReserveSales,
    fn: "auctionCount",
    args: [],
    expected: same(ledger.auctionCount),
    kind: "counter-mismatch",
    what: "auction count",
  });
  probes.push({
    to: sales,
    iface: ifaces.ReserveSales,
    fn: "fixedSaleCount",
    args: [],
    expected: same(ledger.fixedSaleCount),
    kind: "counter-mismatch",
    what: "fixed-price sale count",
  });
  for (const [k, bought] of ledger.boughtIn) {
    const [saleId, buyer] = k.split("|") as [string, string];
    probes.push({
      to: sales,
      iface: ifaces.ReserveSales,
      fn: "boughtIn",
      args: [BigInt(saleId), buyer],
      expected: same(bought),
      kind: "counter-mismatch",
      what: `units bought by ${buyer} in fixed-price sale ${saleId}`,
    });
  }

  const results = await rpc.batch<string>(
    probes.map((p) => ({
      method: "eth_call",
      params: [{ to: p.to, data: p.iface.encodeFunctionData(p.fn, p.args) }, hex(head)],
    })),
  );
  let compared = 0;
  probes.forEach((p, i) => {
    const decoded = [...p.iface.decodeFunctionResult(p.fn, results[i]!)];
    const r = p.expected(decoded);
    if (!r) return;
    compared++;
    if (!r.ok) {
      find({
        kind: p.kind,
        block: head,
        expected: r.expected,
        found: r.found,
        message: `The ${p.what} at the head differs from the replay of the events.`,
      });
    }
  });
  // The status of each position, from the replayed coverage, surrenders and close.
  probes.forEach((p, i) => {
    if (p.fn !== "positionOf") return;
    const [entityId, year] = p.args as [bigint, number];
    const pos = p.iface.decodeFunctionResult(p.fn, results[i]!)[0] as { status: bigint };
    const mine = ledger.position(entityId, year);
    const isCovered = ledger.covered.get(year)?.has(entityId) ?? false;
    const expected =
      mine.closedStatus !== 0
        ? mine.closedStatus
        : !isCovered
          ? 0
          : mine.obligationSet && mine.allowances + mine.offsets >= mine.obligation
            ? 2
            : 1;
    if (Number(pos.status) !== expected) {
      find({
        kind: "compliance-position-mismatch",
        block: head,
        expected: STATUS[expected],
        found: STATUS[Number(pos.status)] ?? String(pos.status),
        message: `The compliance status of entity ${entityId} for ${year} differs from its replayed coverage and surrenders.`,
      });
    }
  });
  for (const t of ledger.trading.keys()) accounts.add(t);
  ledger.figures.accounts = accounts.size;
  ledger.figures.holdings = holdings;
  return compared;
}
