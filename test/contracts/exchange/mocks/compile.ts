import { compileMock, type CompiledMock } from "../../mocks/compile";

/** Compiles a test-only contract of `test/contracts/exchange/mocks/` (see `compileMock`). */
export function compileExchangeMock(name: string): CompiledMock {
  return compileMock(name, __dirname);
}
