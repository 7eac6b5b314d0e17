import type { Handlers } from "../context";
import { clearingHandlers } from "./clearing";
import { allocationHandlers } from "./allocation";
import { complianceHandlers } from "./compliance";
import { reportingHandlers } from "./reporting";
import { registryHandlers } from "./registry";
import { reserveHandlers } from "./reserve";
import { tokenHandlersAll } from "./tokens";

/**
 * Every handler, keyed `"Contract:Event"`. An event without a handler is still stored in the events
 * table; derived tables come only from here.
 */
export const HANDLERS: Handlers = {
  ...registryHandlers,
  ...tokenHandlersAll,
  ...allocationHandlers,
  ...reportingHandlers,
  ...complianceHandlers,
  ...clearingHandlers,
  ...reserveHandlers,
};
