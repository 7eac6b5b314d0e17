/**
 * Trading accounts as the exchange sees them: per trader and asset, the balance the Clearing
 * contract will hold once every matched trade is settled, and the part reserved by open orders and
 * pending withdrawals. An order is accepted only when `balance − reserved` covers it, so every
 * matched trade settles.
 */
export interface Position {
  balance: bigint;
  reserved: bigint;
}

/** `${token}:${tokenId}` with the token address in lower case. */
export type AssetKey = string;

export function assetKey(token: string, tokenId: bigint): AssetKey {
  return `${token.toLowerCase()}:${tokenId}`;
}

export class Accounts {
  private readonly positions = new Map<string, Map<AssetKey, Position>>();

  position(trader: string, asset: AssetKey): Position {
    const t = trader.toLowerCase();
    let byAsset = this.positions.get(t);
    if (!byAsset) {
      byAsset = new Map();
      this.positions.set(t, byAsset);
    }
    let p = byAsset.get(asset);
    if (!p) {
      p = { balance: 0n, reserved: 0n };
      byAsset.set(asset, p);
    }
    return p;
  }

  available(trader: string, asset: AssetKey): bigint {
    const p = this.position(trader, asset);
    return p.balance - p.reserved;
  }

  credit(trader: string, asset: AssetKey, amount: bigint): void {
    this.position(trader, asset).balance += amount;
  }

  /** Takes `amount` off the balance (the caller checked it is available or reserved). */
  debit(trader: string, asset: AssetKey, amount: bigint): void {
    const p = this.position(trader, asset);
    if (p.balance < amount) throw new Error(`invariant: ${trader} ${asset} balance ${p.balance} < ${amount}`);
    p.balance -= amount;
  }

  reserve(trader: string, asset: AssetKey, amount: bigint): void {
    this.position(trader, asset).reserved += amount;
  }

  release(trader: string, asset: AssetKey, amount: bigint): void {
    const p = this.position(trader, asset);
    if (p.reserved < amount) throw new Error(`invariant: ${trader} ${asset} reserved ${p.reserved} < ${amount}`);
    p.reserved -= amount;
  }

  /** Every position of a trader. */
  of(trader: string): Map<AssetKey, Position> {
    return this.positions.get(trader.toLowerCase()) ?? new Map();
  }

  traders(): string[] {
    return [...this.positions.keys()];
  }
}
