import { ExchangeApi } from "../../../../sdk/exchange-api";

/** The exchange's REST API behind `/v1` on the portal's own address. */
export function exchangeApi(): ExchangeApi {
  return new ExchangeApi(window.location.origin, {
    fetch: (input, init) => fetch(input, init),
    unreachableHint: "the portal could not reach the exchange",
  });
}
