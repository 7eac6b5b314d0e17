import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { findKeystore, unlockKeystore } from "../../sdk/keystore";
import { connectContracts } from "../../sdk/contracts";
import { CliWorld, PASSWORD } from "./cli.fixture";

/**
 * Every bad input is rejected before anything is sent, with its own stable code, a sentence, exit
 * code 2 (malformed input, usage) or 1 (refused by the state of the registry), and no change on
 * chain (see `CliWorld.rejects`).
 */
describe("ets CLI: bad input", function () {
  let world: CliWorld;
  const addr = (name: string) => world.address(name);

  before(async function () {
    world = await CliWorld.start();
    for (const name of ["alice", "bob", "carol", "dave", "frank", "gina", "spare"]) await world.wallet(name);
    const parties: [string, number, string[]][] = [
      ["alice", 2001, ["--category", "covered-entity", "--sector", "power"]],
      ["bob", 2002, ["--category", "institution"]],
      ["carol", 2003, ["--category", "individual"]],
      ["frank", 2004, ["--category", "individual"]],
      ["gina", 2005, ["--category", "individual"]],
    ];
    for (const [name, id, extra] of parties) {
      await world.ok(
        ["admin", "register", name, "--entity-id", String(id), "--name", `Entity ${id}`].concat([
          "--credit-code",
          `91120116MA05K${id}0`,
          "--from",
          "operator",
          ...extra,
        ]),
      );
    }
    await world.ok([
      "admin",
      "import-ccer",
      "alice",
      "--project-id",
      "P-1",
      "--type",
      "solar",
      "--methodology",
      "CM-002",
      "--period-start",
      "2014-01-01",
      "--period-end",
      "2014-12-31",
      "--serial-first",
      "1",
      "--serial-last",
      "1000",
      "--origin-ref",
      "NCR-1",
      "--from",
      "regulator",
    ]);
    await world.ok(["admin", "deposit-cash", "alice", "1000", "--bank-ref", "BANK-1", "--from", "bank"]);
    await (await world.regulator.allowances.mint(addr("alice"), 2014, 500)).wait();
    await world.ok(["admin", "delays", "--trust", "1", "--from", "regulator"]);
    await world.ok(["trusted", "add", "bob", "--from", "alice"]);
    await world.increaseTime(2);
    // 900 of alice's 1,000 CCER are locked by a pending transfer (ccer:1); cash:1 is pending too.
    expect(await world.ok(["transfer", "carol", "900", "--ccer", "1", "--from", "alice"])).to.include({
      transferId: "ccer:1",
    });
    expect(await world.ok(["transfer", "carol", "1", "--cash", "--from", "alice"])).to.include({
      transferId: "cash:1",
    });
    await world.ok(["admin", "freeze", "frank", "--from", "operator"]);
    await world.ok(["admin", "close", "gina", "--from", "operator"]);
  });

  after(async function () {
    await world?.stop();
  });

  const send = (to: string, amount: string, ...product: string[]) => [
    "transfer",
    to,
    amount,
    ...product,
    "--from",
    "alice",
  ];

  describe("when the input is malformed (exit 2)", function () {
    it("a malformed address", async function () {
      await world.rejects(send("0x123", "10", "--ccer", "1"), {
        code: "INVALID_ADDRESS",
        message: /^The receiver "0x123" is not an address/,
        exit: 2,
      });
      await world.rejects(send("ab".repeat(20), "10", "--ccer", "1"), {
        code: "INVALID_ADDRESS",
        message: /lacks the 0x prefix/,
        exit: 2,
      });
    });

    it("a zero amount", async function () {
      await world.rejects(send("bob", "0", "--ccer", "1"), {
        code: "ZERO_AMOUNT",
        message: /^The amount must be greater than zero\.$/,
        exit: 2,
      });
      await world.rejects(send("bob", "0.00", "--cash"), {
        code: "ZERO_AMOUNT",
        message: /greater than zero/,
        exit: 2,
      });
    });

    it("a negative amount", async function () {
      await world.rejects(send("bob", "-5", "--ccer", "1"), {
        code: "NEGATIVE_AMOUNT",
        message: /^The amount must be positive; got -5\.$/,
        exit: 2,
      });
    });

    it("an amount that is not a whole number", async function () {
      await world.rejects(send("bob", "1.5", "--vintage", "2014"), {
        code: "AMOUNT_NOT_WHOLE",
        message: /whole number of tonnes; got 1\.5/,
        exit: 2,
      });
      await world.rejects(send("bob", "1.234", "--cash"), {
        code: "AMOUNT_NOT_WHOLE",
        message: /whole number of fen/,
        exit: 2,
      });
    });

    it("an amount that is too large", async function () {
      await world.rejects(send("bob", "9007199254740992", "--ccer", "1"), {
        code: "AMOUNT_TOO_LARGE",
        message: /too large: at most 9007199254740991 tonnes/,
        exit: 2,
      });
    });

    it("an amount that is not a number", async function () {
      await world.rejects(send("bob", "ten", "--ccer", "1"), {
        code: "INVALID_AMOUNT",
        message: /"ten" is not a number of tonnes/,
        exit: 2,
      });
    });

    it("a vintage or batch that cannot be one", async function () {
      await world.rejects(send("bob", "1", "--vintage", "14"), {
        code: "INVALID_VINTAGE",
        message: /"14" is not a vintage/,
        exit: 2,
      });
      await world.rejects(send("bob", "1", "--ccer", "x"), {
        code: "INVALID_BATCH_ID",
        message: /"x" is not a CCER batch id/,
        exit: 2,
      });
    });

    it("no product, or two", async function () {
      await world.rejects(send("bob", "1"), {
        code: "PRODUCT_REQUIRED",
        message: /--vintage <year>.*--ccer <batch>.*--cash/,
        exit: 2,
      });
      await world.rejects(send("bob", "1", "--cash", "--ccer", "1"), {
        code: "PRODUCT_REQUIRED",
        message: /only one of/,
        exit: 2,
      });
    });

    it("a transfer to the sender itself", async function () {
      await world.rejects(send("alice", "1", "--ccer", "1"), {
        code: "TRANSFER_TO_SELF",
        message: /is the sending wallet itself/,
        exit: 2,
      });
    });

    it("no signing wallet", async function () {
      await world.rejects(["transfer", "bob", "1", "--ccer", "1"], {
        code: "FROM_REQUIRED",
        message: /--from <wallet name or address>/,
        exit: 2,
      });
    });

    it("a command line that does not parse", async function () {
      await world.rejects([...send("bob", "1", "--ccer", "1"), "--bogus"], {
        code: "INVALID_USAGE",
        message: /^Unknown option '--bogus'/,
        exit: 2,
      });
      await world.rejects(["transfer", "bob", "--ccer", "1"], {
        code: "INVALID_USAGE",
        message: /^Missing required argument 'amount'/,
        exit: 2,
      });
      await world.rejects(["admin", "deposit-cash", "alice", "5", "--from", "bank"], {
        code: "INVALID_USAGE",
        message: /--bank-ref <text>' not specified/,
        exit: 2,
      });
    });

    it("a malformed setting", async function () {
      await world.rejects(
        ["balance", "alice"],
        { code: "INVALID_CONFIG", message: /--rpc \/ ETS_RPC_URL is invalid/, exit: 2 },
        { env: { ETS_RPC_URL: "localhost:8545" } },
      );
    });

    it("malformed pending-transfer ids, dates, credit codes, categories and durations", async function () {
      await world.rejects(["transfer", "cancel", "abc", "--from", "alice"], {
        code: "INVALID_TRANSFER_ID",
        message: /"abc" is not a pending-transfer reference/,
        exit: 2,
      });
      await world.rejects(["transfer", "execute", "1", "--from", "alice"], {
        code: "TRANSFER_ID_AMBIGUOUS",
        message: /ccer:1, cash:1/,
        exit: 2,
      });
      const ccer = (start: string) => [
        "admin",
        "import-ccer",
        "alice",
        "--project-id",
        "P",
        "--type",
        "wind",
        "--methodology",
        "M",
        "--period-start",
        start,
        "--period-end",
        "2014-12-31",
        "--serial-first",
        "1",
        "--serial-last",
        "2",
        "--origin-ref",
        "X",
        "--from",
        "regulator",
      ];
      await world.rejects(ccer("2014-02-30"), { code: "INVALID_DATE", message: /"2014-02-30" is not a date/, exit: 2 });
      const reg = (code: string, category = "individual") => [
        "admin",
        "register",
        "spare",
        "--entity-id",
        "3000",
        "--category",
        category,
        "--name",
        "X",
        "--credit-code",
        code,
        "--from",
        "operator",
      ];
      await world.rejects(reg("91120116MA05KZZZ1"), {
        code: "INVALID_CREDIT_CODE",
        message: /not a unified social credit code/,
        exit: 2,
      });
      await world.rejects(reg("91120116MA05K30001", "bank"), {
        code: "INVALID_CHOICE",
        message: /"bank" is not a category/,
        exit: 2,
      });
      await world.rejects(["admin", "delays", "--trust", "soon", "--from", "regulator"], {
        code: "INVALID_DURATION",
        message: /"soon" is not a duration/,
        exit: 2,
      });
    });
  });

  describe("when wallets are wrong", function () {
    it("an unknown wallet name", async function () {
      await world.rejects(["transfer", "bob", "1", "--ccer", "1", "--from", "nobody"], {
        code: "WALLET_NOT_FOUND",
        message: /no wallet named "nobody"/,
        exit: 1,
      });
      await world.rejects(send("nobody", "1", "--ccer", "1"), {
        code: "WALLET_NOT_FOUND",
        message: /"nobody" is not an address, and there is no wallet of that name/,
        exit: 1,
      });
    });

    it("a wrong keystore password", async function () {
      await world.rejects(
        send("bob", "1", "--ccer", "1"),
        { code: "WALLET_BAD_PASSWORD", message: /^The password does not unlock wallet "alice"/, exit: 1 },
        { env: { ETS_PASSWORD: "wrong password" } },
      );
      const file = path.join(world.root, "pw.txt");
      fs.writeFileSync(file, "also wrong\n");
      await world.rejects([...send("bob", "1", "--ccer", "1"), "--password-file", file], {
        code: "WALLET_BAD_PASSWORD",
        message: /does not unlock/,
        exit: 1,
      });
    });

    it("no password and no terminal", async function () {
      await world.rejects(
        send("bob", "1", "--ccer", "1"),
        { code: "PASSWORD_REQUIRED", message: /--password-file <file> or ETS_PASSWORD/, exit: 2 },
        { env: { ETS_PASSWORD: undefined } },
      );
    });

    it("bad new wallets: taken or invalid names, short or mismatched passwords, invalid keys", async function () {
      await world.rejects(["wallet", "create", "alice"], {
        code: "WALLET_EXISTS",
        message: /A wallet named "alice" exists already/,
        exit: 1,
      });
      await world.rejects(["wallet", "create", "../evil"], {
        code: "INVALID_WALLET_NAME",
        message: /is not a wallet name/,
        exit: 2,
      });
      await world.rejects(
        ["wallet", "create", "short"],
        { code: "PASSWORD_TOO_SHORT", message: /at least 8 characters/, exit: 2 },
        { env: { ETS_PASSWORD: "abc" } },
      );
      const answers = ["first password", "second password", "first password", "second password"];
      await world.rejects(
        ["wallet", "create", "typo"],
        { code: "PASSWORD_MISMATCH", message: /The two passwords differ/, exit: 2 },
        {
          tty: true,
          env: { ETS_PASSWORD: undefined },
          promptSecret: () => Promise.resolve(answers.shift() ?? ""),
        },
      );
      await world.rejects(
        ["wallet", "import", "badkey"],
        { code: "INVALID_PRIVATE_KEY", message: /not 64 hexadecimal digits/, exit: 2 },
        { stdin: "0x1234\n" },
      );
      const alice = await unlockKeystore(findKeystore(world.walletDir, "alice"), PASSWORD);
      await world.rejects(
        ["wallet", "import", "alice-again"],
        { code: "WALLET_EXISTS", message: /is stored already as "alice"/, exit: 1 },
        { stdin: alice.privateKey },
      );
      for (const name of ["short", "typo", "badkey", "alice-again"])
        expect(fs.existsSync(path.join(world.walletDir, `${name}.json`))).to.equal(false);
    });
  });

  describe("when the registry refuses (exit 1)", function () {
    it("a vintage never issued, a batch never imported", async function () {
      await world.rejects(send("bob", "1", "--vintage", "2019"), {
        code: "VINTAGE_NOT_FOUND",
        message: /^No allowances of vintage 2019 \(TJEA19\) were ever issued\.$/,
        exit: 1,
      });
      await world.rejects(send("bob", "1", "--ccer", "99"), {
        code: "BATCH_NOT_FOUND",
        message: /^There is no CCER batch 99\.$/,
        exit: 1,
      });
    });

    it("an unregistered sender or receiver", async function () {
      await world.rejects(["transfer", "bob", "1", "--cash", "--from", "dave"], {
        code: "ACCOUNT_NOT_REGISTERED",
        message: new RegExp(`^Sender ${addr("dave")} has no registry account`),
        exit: 1,
      });
      await world.rejects(send("dave", "1", "--cash"), {
        code: "ACCOUNT_NOT_REGISTERED",
        message: new RegExp(`^Receiver ${addr("dave")} has no registry account`),
        exit: 1,
      });
    });

    it("a frozen or closed sender or receiver", async function () {
      await world.rejects(["transfer", "bob", "1", "--cash", "--from", "frank"], {
        code: "ACCOUNT_NOT_ACTIVE",
        message: /^Sender 0x[0-9a-fA-F]{40} is frozen by the registry operator/,
        exit: 1,
      });
      await world.rejects(send("frank", "1", "--cash"), {
        code: "ACCOUNT_NOT_ACTIVE",
        message: /^Receiver 0x[0-9a-fA-F]{40} is frozen/,
        exit: 1,
      });
      await world.rejects(send("gina", "1", "--cash"), {
        code: "ACCOUNT_NOT_ACTIVE",
        message: /^Receiver 0x[0-9a-fA-F]{40} is closed for good/,
        exit: 1,
      });
    });

    it("an insufficient balance", async function () {
      await world.rejects(send("bob", "501", "--vintage", "2014"), {
        code: "INSUFFICIENT_BALANCE",
        message: /holds 500 t of TJEA14; 501 t were requested/,
        exit: 1,
      });
      await world.rejects(send("bob", "2000", "--cash"), {
        code: "INSUFFICIENT_BALANCE",
        message: /holds CNY 1,000\.00; CNY 2,000\.00 were requested/,
        exit: 1,
      });
    });

    it("a balance locked by pending transfers", async function () {
      await world.rejects(send("bob", "101", "--ccer", "1"), {
        code: "BALANCE_LOCKED_BY_PENDING",
        message:
          /holds 1,000 t of CCER batch 1 but 900 t are locked by its pending transfers: 100 t can be spent now, 101 t were requested/,
        exit: 1,
      });
    });

    it("a transfer during a suspension", async function () {
      await world.ok(["admin", "suspend", "incident 7", "--from", "regulator"]);
      try {
        await world.rejects(send("bob", "1", "--ccer", "1"), {
          code: "TRANSFERS_SUSPENDED",
          message: /^Transfers are suspended by the regulator/,
          exit: 1,
        });
        await world.rejects(["admin", "suspend", "again", "--from", "regulator"], {
          code: "SUSPENSION_UNCHANGED",
          message: /already suspended/,
          exit: 1,
        });
      } finally {
        await world.ok(["admin", "resume", "--from", "regulator"]);
      }
      await world.rejects(["admin", "resume", "--from", "regulator"], {
        code: "SUSPENSION_UNCHANGED",
        message: /^Transfers are not suspended\.$/,
        exit: 1,
      });
    });

    it("a transfer to an untrusted account above the holder's maximum", async function () {
      const bob = (await unlockKeystore(findKeystore(world.walletDir, "bob"), PASSWORD)).connect(world.provider);
      await world.ok(["transfer", "bob", "10", "--ccer", "1", "--from", "alice"]);
      await (await connectContracts(world.manifest, bob).offsets.setUntrustedLimit(5)).wait();
      await world.rejects(["transfer", "carol", "6", "--ccer", "1", "--from", "bob"], {
        code: "UNTRUSTED_LIMIT_EXCEEDED",
        message: /more than its per-transfer maximum of 5 t/,
        exit: 2,
      });
    });

    it("pending transfers that do not exist, are closed, are not yours or not yet released", async function () {
      await world.rejects(["transfer", "cancel", "ccer:77", "--from", "alice"], {
        code: "PENDING_TRANSFER_NOT_FOUND",
        message: /^There is no pending transfer ccer:77\.$/,
        exit: 1,
      });
      await world.rejects(["transfer", "cancel", "ccer:1", "--from", "bob"], {
        code: "NOT_PENDING_SENDER",
        message: /^Only the sender 0x[0-9a-fA-F]{40} can cancel pending transfer ccer:1/,
        exit: 1,
      });
      await world.rejects(["transfer", "execute", "ccer:1", "--from", "bob"], {
        code: "PENDING_TRANSFER_NOT_RELEASED",
        message: /^Pending transfer ccer:1 can be executed from .*, in 1 d 1 h/,
        exit: 1,
      });
      await world.ok(["transfer", "cancel", "cash:1", "--from", "alice"]);
      await world.rejects(["transfer", "cancel", "cash:1", "--from", "alice"], {
        code: "PENDING_TRANSFER_CLOSED",
        message: /^Pending transfer cash:1 is already cancelled\.$/,
        exit: 1,
      });
      await world.rejects(["admin", "block", "cash:1", "--case", "C-1", "--from", "operator"], {
        code: "PENDING_TRANSFER_CLOSED",
        message: /already cancelled/,
        exit: 1,
      });
    });

    it("trusted-list changes that cannot be made", async function () {
      await world.rejects(["trusted", "add", "bob", "--from", "alice"], {
        code: "ALREADY_TRUSTED",
        message: /is already on your trusted list/,
        exit: 1,
      });
      await world.rejects(["trusted", "add", "alice", "--from", "alice"], {
        code: "INVALID_TRUSTED_ACCOUNT",
        message: /Your own wallet cannot be on your trusted list/,
        exit: 2,
      });
      await world.rejects(["trusted", "add", "dave", "--from", "alice"], {
        code: "TRUSTED_ACCOUNT_NOT_ACTIVE",
        message: /\(dave\) has no active registry account \(not registered\)/,
        exit: 2,
      });
      await world.rejects(["trusted", "add", "bob", "--from", "frank"], {
        code: "HOLDER_NOT_ACTIVE",
        message: /has no active registry account \(it is frozen\)/,
        exit: 1,
      });
      await world.rejects(["trusted", "remove", "carol", "--from", "alice"], {
        code: "NOT_TRUSTED",
        message: /\(carol\) is not on your trusted list/,
        exit: 1,
      });
    });
  });

  describe("when the caller lacks the role (decoded from the revert, exit 1)", function () {
    it("registry operator, clearing bank, offset registrar and regulator powers", async function () {
      await world.rejects(["admin", "freeze", "bob", "--from", "alice"], {
        code: "UNAUTHORISED_ROLE",
        message: new RegExp(
          `^Wallet ${addr("alice")} \\(alice\\) does not hold the REGISTRY_OPERATOR role that freeze on ParticipantRegistry needs\\.$`,
        ),
        exit: 1,
      });
      await world.rejects(["admin", "deposit-cash", "alice", "5", "--bank-ref", "B-9", "--from", "operator"], {
        code: "UNAUTHORISED_ROLE",
        message: /CLEARING_BANK role/,
        exit: 1,
      });
      await world.rejects(["admin", "suspend", "x", "--from", "operator"], {
        code: "UNAUTHORISED_ROLE",
        message: /REGULATOR role that suspend on TransferRules needs/,
        exit: 1,
      });
      await world.rejects(["admin", "block", "ccer:1", "--case", "C", "--from", "alice"], {
        code: "UNAUTHORISED_ROLE",
        message: /REGISTRY_OPERATOR role that blockPending on OffsetToken/,
        exit: 1,
      });
      await world.rejects(["admin", "recover", "bob", "spare", "--from", "operator"], {
        code: "UNAUTHORISED_CALL",
        message: /may not schedule recover on ParticipantRegistry: it needs the RECOVERY role/,
        exit: 1,
      });
    });
  });

  describe("when an administrative action conflicts with the registry", function () {
    it("registration of a known entity, wallet or credit code; a sector that does not fit", async function () {
      const reg = (id: string, wallet: string, code: string, ...extra: string[]) => [
        "admin",
        "register",
        wallet,
        "--entity-id",
        id,
        "--name",
        "New Co",
        "--credit-code",
        code,
        "--from",
        "operator",
        ...extra,
      ];
      await world.rejects(reg("2001", "spare", "91120116MA05K30001", "--category", "individual"), {
        code: "ENTITY_EXISTS",
        message: /^Entity id 2001 is already registered \("Entity 2001"\)\.$/,
        exit: 1,
      });
      await world.rejects(reg("3001", "bob", "91120116MA05K30001", "--category", "individual"), {
        code: "ACCOUNT_EXISTS",
        message: /\(bob\) already has a registry account \(entity 2002\)/,
        exit: 1,
      });
      await world.rejects(reg("3001", "spare", "91120116MA05K30001", "--category", "covered-entity"), {
        code: "INVALID_SECTOR",
        message: /A covered entity needs --sector/,
        exit: 2,
      });
      await world.rejects(reg("3001", "spare", "91120116MA05K30001", "--category", "verifier", "--sector", "steel"), {
        code: "INVALID_SECTOR",
        message: /a verifier has none/,
        exit: 2,
      });
      // Only the contract knows which credit codes are taken: the revert of the gas estimate is decoded.
      await world.rejects(reg("3001", "spare", "91120116MA05K20010", "--category", "individual"), {
        code: "DUPLICATE_CREDIT_CODE",
        message: /^Entity 2001 is already registered with this unified social credit code\.$/,
        exit: 1,
      });
      await world.rejects(["admin", "open-account", "4040", "spare", "--from", "operator"], {
        code: "ENTITY_NOT_FOUND",
        message: /No entity is registered with id 4040/,
        exit: 1,
      });
    });

    it("status changes the account's status does not allow", async function () {
      await world.rejects(["admin", "freeze", "frank", "--from", "operator"], {
        code: "ACCOUNT_STATUS_CONFLICT",
        message: /\(frank\) is frozen; freeze needs an account that is active/,
        exit: 1,
      });
      await world.rejects(["admin", "unfreeze", "bob", "--from", "operator"], {
        code: "ACCOUNT_STATUS_CONFLICT",
        message: /is active; unfreeze needs an account that is frozen/,
        exit: 1,
      });
      await world.rejects(["admin", "freeze", "dave", "--from", "operator"], {
        code: "ACCOUNT_NOT_REGISTERED",
        message: /\(dave\) has no registry account/,
        exit: 1,
      });
      await world.rejects(["admin", "close", "alice", "--from", "operator"], {
        code: "ACCOUNT_NOT_EMPTY",
        message: /\(alice\) still holds allowances; move them before closing/,
        exit: 1,
      });
    });

    it("recovery not scheduled, scheduled twice, or to a used wallet", async function () {
      await world.rejects(["admin", "recover", "bob", "spare", "--execute", "--from", "regulator"], {
        code: "OPERATION_NOT_SCHEDULED",
        message: /is not scheduled by .*schedule it first with: ets admin recover/,
        exit: 1,
      });
      await world.ok(["admin", "recover", "bob", "spare", "--from", "regulator"]);
      await world.rejects(["admin", "recover", "bob", "spare", "--from", "regulator"], {
        code: "OPERATION_ALREADY_SCHEDULED",
        message: /is already scheduled; it can be executed from .* --execute$/,
        exit: 1,
      });
      await world.rejects(["admin", "recover", "bob", "carol", "--from", "regulator"], {
        code: "ACCOUNT_EXISTS",
        message: /\(carol\) already has a registry account/,
        exit: 1,
      });
      await world.rejects(
        ["admin", "force-transfer", "bob", "bob", "1", "--ccer", "1", "--case", "C", "--from", "regulator"],
        { code: "FORCED_TRANSFER_TO_SELF", message: /cannot go from .* to itself/, exit: 2 },
      );
    });

    it("CCER batches with bad serials or periods, or imported before; bank references used before", async function () {
      const ccer = (first: string, last: string, start: string, end: string, origin: string) => [
        "admin",
        "import-ccer",
        "alice",
        "--project-id",
        "P",
        "--type",
        "wind",
        "--methodology",
        "M",
        "--period-start",
        start,
        "--period-end",
        end,
        "--serial-first",
        first,
        "--serial-last",
        last,
        "--origin-ref",
        origin,
        "--from",
        "regulator",
      ];
      await world.rejects(ccer("10", "9", "2014-01-01", "2014-12-31", "NEW"), {
        code: "INVALID_SERIAL_RANGE",
        message: /serial range 10–9 is reversed/,
        exit: 2,
      });
      await world.rejects(ccer("1", "9", "2014-12-31", "2014-01-01", "NEW"), {
        code: "INVALID_REDUCTION_PERIOD",
        message: /empty or reversed/,
        exit: 2,
      });
      // Origin references are checked by the contract only: the decoded revert speaks.
      await world.rejects(ccer("1", "9", "2014-01-01", "2014-12-31", "NCR-1"), {
        code: "BATCH_ALREADY_IMPORTED",
        message: /^Origin batch NCR-1 was already imported as batch 1\.$/,
        exit: 1,
      });
      await world.rejects(["admin", "deposit-cash", "alice", "5", "--bank-ref", "BANK-1", "--from", "bank"], {
        code: "INVALID_BANK_REFERENCE",
        message: /"BANK-1" was used before/,
        exit: 1,
      });
      await world.rejects(["admin", "delays", "--pending", "31d", "--from", "regulator"], {
        code: "DELAY_OUT_OF_RANGE",
        message: /31 d is longer than the maximum of 30 d/,
        exit: 2,
      });
    });
  });

  describe("when the chain is not where the settings say", function () {
    it("no deployment for the chain, a stale one, or no node", async function () {
      const empty = fs.mkdtempSync(path.join(world.root, "deployments-"));
      await world.rejects(
        ["balance", "alice"],
        {
          code: "DEPLOYMENT_NOT_FOUND",
          message: /^No deployment of chain 31337 in .* \(expected 31337\.json\)/,
          exit: 1,
        },
        { env: { ETS_DEPLOYMENTS_DIR: empty } },
      );
      const stale = fs.mkdtempSync(path.join(world.root, "deployments-"));
      const moved = { ...world.manifest.contracts, ParticipantRegistry: "0x000000000000000000000000000000000000bEEF" };
      fs.writeFileSync(path.join(stale, "31337.json"), JSON.stringify({ ...world.manifest, contracts: moved }));
      await world.rejects(
        ["balance", "alice"],
        { code: "DEPLOYMENT_NOT_FOUND", message: /names contracts that are not on chain 31337/, exit: 1 },
        { env: { ETS_DEPLOYMENTS_DIR: stale } },
      );
      await world.rejects(
        ["balance", "alice"],
        { code: "NODE_UNREACHABLE", message: /http:\/\/127\.0\.0\.1:9 cannot be reached/, exit: 1 },
        { env: { ETS_RPC_URL: "http://127.0.0.1:9" } },
      );
    });
  });
});
