/**
 * Stands in for Node's file-system modules in the browser bundle: the SDK modules the portal
 * imports also export helpers for files (keystores, bid salts, manifests) that the portal never
 * calls. Any use fails loudly instead of silently doing nothing.
 */
const unavailable: object = new Proxy(
  {},
  {
    get(_target, name) {
      if (name === "__esModule") return false;
      throw new Error(`node:${String(name)} is not available in the browser`);
    },
  },
);
export default unavailable;
