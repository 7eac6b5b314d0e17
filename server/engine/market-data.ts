/** One product's trading day: open, high, low, close, volume, as the exchange publishes them. */
export interface DailyBar {
  /** First continuous trade's price, or the previous close when none traded. */
  open: number;
  high: number;
  low: number;
  /** Volume-weighted average price of the day's continuous trades; previous close when none. */
  close: number;
  /** Tonnes traded continuously. */
  volume: number;
  /** Σ price × quantity of the continuous trades (fen). */
  turnover: number;
  trades: number;
  /** Tonnes traded in block deals (not part of the close). */
  blockVolume: number;
  previousClose: number;
}

/** Keeps a product's daily bar as trades happen (integers only). */
export class MarketDay {
  private open = 0;
  private high = 0;
  private low = 0;
  private volume = 0;
  private turnover = 0;
  private trades = 0;
  private blockVolume = 0;

  constructor(private previousClose: number) {}

  /** The price the band is measured from: the previous close. */
  get reference(): number {
    return this.previousClose;
  }

  trade(price: number, quantity: number): void {
    if (this.trades === 0) {
      this.open = price;
      this.high = price;
      this.low = price;
    } else {
      if (price > this.high) this.high = price;
      if (price < this.low) this.low = price;
    }
    this.trades++;
    this.volume += quantity;
    this.turnover += price * quantity;
  }

  block(quantity: number): void {
    this.blockVolume += quantity;
  }

  bar(): DailyBar {
    const none = this.trades === 0;
    return {
      open: none ? this.previousClose : this.open,
      high: none ? this.previousClose : this.high,
      low: none ? this.previousClose : this.low,
      close: none ? this.previousClose : vwap(this.turnover, this.volume),
      volume: this.volume,
      turnover: this.turnover,
      trades: this.trades,
      blockVolume: this.blockVolume,
      previousClose: this.previousClose,
    };
  }

  /** A day in progress, as a snapshot kept it. */
  static restore(bar: DailyBar): MarketDay {
    const day = new MarketDay(bar.previousClose);
    if (bar.trades > 0) {
      day.open = bar.open;
      day.high = bar.high;
      day.low = bar.low;
    }
    day.volume = bar.volume;
    day.turnover = bar.turnover;
    day.trades = bar.trades;
    day.blockVolume = bar.blockVolume;
    return day;
  }

  /** Ends the day: returns its bar and starts the next one from its close. */
  roll(): DailyBar {
    const bar = this.bar();
    this.previousClose = bar.close;
    this.open = this.high = this.low = this.volume = this.turnover = this.trades = this.blockVolume = 0;
    return bar;
  }
}

/** turnover / volume rounded half up to a whole fen. */
export function vwap(turnover: number, volume: number): number {
  return Math.floor((2 * turnover + volume) / (2 * volume));
}
